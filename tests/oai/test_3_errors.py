"""§3.6 error conditions and §3.2 request echo, on a small repository: the seed article (MODS) and one
Dublin Core-only record, paged one item at a time so every list has a resumption token to tamper with.

Each row is a request and the error codes it must produce. For every row: HTTP 200, text/xml; charset=utf-8,
a response valid against OAI-PMH.xsd (the client checks all three), exactly these codes, the request element
echoing the arguments unless a code is badVerb or badArgument, and GET and POST bodies identical apart from
responseDate.
"""
from __future__ import annotations

import re
from collections import Counter

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from metadata.formats import standard_formats

FORMATS = standard_formats()
from provider.oai import tokens
from provider.oai.tokens import ResumptionState, TokenCodec
from tests.conftest import assert_valid_oai, make_app
from tests.oai.conftest import Clock

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI_NS}
SEED = "oai:test.example.org:birn-muntaner-2018"
DC_ONLY = "oai:test.example.org:dc-note"
BASE_URL = "http://oai.example.org/oai"
SECRET = "test-secret-key-0123456789"
DC_NOTE = (b'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
           b' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A note</dc:title>'
           b'<dc:type>Text</dc:type><dc:identifier>dc-note</dc:identifier></oai_dc:dc>')
NO_SETS_NOTE = (b'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
                b' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Setless</dc:title>'
                b'<dc:identifier>setless</dc:identifier></oai_dc:dc>')


@pytest.fixture
def small(tmp_path, database_url, schema_dir, response_schema):
    """The seed article and a DC-only record, stamped in 2020, every list one item per page."""
    from provider.app import SEED as SEED_FOLDER

    app = make_app(tmp_path / "instance", database_url, schema_dir, PAGE_SIZE=1, IDENTIFIERS_PAGE_SIZE=1,
                   SETS_PAGE_SIZE=1, TOKEN_LIFETIME=3600)
    pipeline, store = app.extensions["pipeline"], app.extensions["store"]
    with Clock().installed() as clock:
        clock.now = "2020-01-01T00:00:00Z"
        for path in sorted(SEED_FOLDER.glob("*.xml")):
            store.put(pipeline.prepare(path.read_bytes(), str(path)))
        store.put(pipeline.prepare(DC_NOTE, "dc-note.xml"))
    yield app
    store.close()


def fetch(app, method: str, args: dict) -> bytes:
    client = app.test_client()
    response = client.get("/oai", query_string=args) if method == "GET" else client.post("/oai", data=args)
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    return response.data


def without_moments(body: bytes) -> bytes:
    """The body less what depends on the second it was made in: responseDate, and a resumption token (it is
    signed with a timestamp and fixes until to the harvest's start)."""
    return re.sub(rb"<responseDate>[^<]*</responseDate>|<resumptionToken[^>]*>[^<]*</resumptionToken>", b"", body)


def check_error(app, response_schema, args: dict, codes: list[str]):
    """The common contract of every error response; returns the GET response, parsed."""
    bodies = {method: fetch(app, method, args) for method in ("GET", "POST")}
    assert without_moments(bodies["GET"]) == without_moments(bodies["POST"])
    document = assert_valid_oai(bodies["GET"], response_schema)
    errors = document.findall("oai:error", NS)
    assert Counter(e.get("code") for e in errors) == Counter(codes), bodies["GET"]
    assert all(e.text and e.text.strip() for e in errors), "each error says what is wrong"
    assert document.find("oai:ListRecords", NS) is None and len(document) == 2 + len(errors)
    request = document.find("oai:request", NS)
    assert request.text == BASE_URL
    if {"badVerb", "badArgument"} & set(codes):
        assert dict(request.attrib) == {}, "§3.2: no attributes after badVerb or badArgument"
    else:
        assert dict(request.attrib) == args, "§3.2: the request element echoes the arguments"
    return document


def token_for(app, verb: str, **args) -> str:
    """A real resumption token, from the first page of a list."""
    body = fetch(app, "GET", {"verb": verb, **args})
    match = re.search(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>", body)
    assert match, body
    return match.group(1).decode()


FFFE = "\ufffe"
ROWS = [
    # badVerb (§3.6): missing, unknown, repeated.
    pytest.param({}, ["badVerb"], id="3_6_badVerb-no-arguments"),
    pytest.param({"metadataPrefix": "oai_dc"}, ["badVerb"], id="3_6_badVerb-missing"),
    pytest.param({"verb": ""}, ["badVerb"], id="3_6_badVerb-empty"),
    pytest.param({"verb": "Frobnicate"}, ["badVerb"], id="3_6_badVerb-unknown"),
    pytest.param({"verb": "identify"}, ["badVerb"], id="3_6_badVerb-case-sensitive"),
    pytest.param({"verb": "GetMetadata"}, ["badVerb"], id="3_6_badVerb-not-a-2_0-verb"),
    pytest.param({"verb": ["Identify", "Identify"]}, ["badVerb"], id="3_6_badVerb-repeated"),
    pytest.param({"verb": ["Identify", "ListSets"]}, ["badVerb"], id="3_6_badVerb-two-verbs"),
    # badArgument: unknown, missing, repeated, empty.
    pytest.param({"verb": "Identify", "set": "type"}, ["badArgument"], id="3_6_badArgument-Identify-takes-none"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "format": "x"}, ["badArgument"],
                 id="3_6_badArgument-unknown"),
    pytest.param({"verb": "ListSets", "set": "type"}, ["badArgument"], id="3_6_badArgument-ListSets-set"),
    pytest.param({"verb": "GetRecord", "identifier": SEED, "metadataPrefix": "oai_dc", "from": "2018-01-01"},
                 ["badArgument"],
                 id="3_6_badArgument-GetRecord-from"),
    pytest.param({"verb": "ListRecords"}, ["badArgument"], id="3_6_badArgument-ListRecords-no-prefix"),
    pytest.param({"verb": "ListIdentifiers", "set": "type"}, ["badArgument"],
                 id="3_6_badArgument-ListIdentifiers-no-prefix"),
    pytest.param({"verb": "GetRecord", "identifier": SEED}, ["badArgument"], id="3_6_badArgument-GetRecord-no-prefix"),
    pytest.param({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, ["badArgument"],
                 id="3_6_badArgument-GetRecord-no-identifier"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "mods"]}, ["badArgument"],
                 id="3_6_badArgument-repeated"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, ["badArgument"],
                 id="3_6_badArgument-repeated-same-value"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": ""}, ["badArgument"], id="3_6_badArgument-empty"),
    # badArgument: dates not in a §3.3.1 form.
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2018-02-30"}, ["badArgument"],
                 id="3_3_1_badArgument-2018-02-30"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2018-13-01"}, ["badArgument"],
                 id="3_3_1_badArgument-month-13"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2018-1-1"}, ["badArgument"],
                 id="3_3_1_badArgument-short-fields"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "20180101"}, ["badArgument"],
                 id="3_3_1_badArgument-basic-format"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2018-02-03T10:00:00"},
                 ["badArgument"], id="3_3_1_badArgument-no-Z"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2018-02-03T10:00Z"},
                 ["badArgument"], id="3_3_1_badArgument-minutes"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2018-02-03T10:00:00.5Z"},
                 ["badArgument"], id="3_3_1_badArgument-fraction"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2018-02-03T24:00:00Z"},
                 ["badArgument"], id="3_3_1_badArgument-hour-24"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2018-02-03T10:00:00+01:00"},
                 ["badArgument"], id="3_3_1_badArgument-offset"),
    pytest.param({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "yesterday"}, ["badArgument"],
                 id="3_3_1_badArgument-words"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2018-02-01",
                  "until": "2018-02-03T10:00:00Z"}, ["badArgument"], id="3_3_1_badArgument-mixed-granularity"),
    pytest.param({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2018-02-01T00:00:00Z",
                  "until": "2018-02-03"}, ["badArgument"], id="3_3_1_badArgument-mixed-granularity-reversed"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2018-02-02", "until": "2018-02-01"},
                 ["badArgument"], id="3_3_1_badArgument-from-after-until-days"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2018-02-01T00:00:01Z",
                  "until": "2018-02-01T00:00:00Z"}, ["badArgument"], id="3_3_1_badArgument-from-after-until-seconds"),
    # badArgument: resumptionToken is exclusive.
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, ["badArgument"],
                 id="3_5_badArgument-token-with-prefix"),
    pytest.param({"verb": "ListIdentifiers", "from": "2018-01-01", "resumptionToken": "x"}, ["badArgument"],
                 id="3_5_badArgument-token-with-from"),
    pytest.param({"verb": "GetRecord", "identifier": SEED, "metadataPrefix": "oai_dc", "resumptionToken": "x"},
                 ["badArgument"], id="3_5_badArgument-GetRecord-token"),
    pytest.param({"verb": "Identify", "resumptionToken": "x"}, ["badArgument"], id="3_5_badArgument-Identify-token"),
    # badArgument: values of an illegal syntax, including characters XML 1.0 cannot carry back in the echo.
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai dc"}, ["badArgument"],
                 id="3_6_badArgument-prefix-syntax"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "subject::cuba"}, ["badArgument"],
                 id="3_6_badArgument-setSpec-syntax"),
    pytest.param({"verb": "GetRecord", "identifier": "oai:x:a b", "metadataPrefix": "oai_dc"}, ["badArgument"],
                 id="3_6_badArgument-identifier-space"),
    pytest.param({"verb": "GetRecord", "identifier": f"oai:x:{FFFE}", "metadataPrefix": "oai_dc"}, ["badArgument"],
                 id="3_6_badArgument-identifier-non-xml-character"),
    pytest.param({"verb": "ListRecords", "resumptionToken": "\x01"}, ["badArgument"],
                 id="3_6_badArgument-token-control-character"),
    pytest.param({"verb": "ListSets", "resumptionToken": FFFE}, ["badArgument"],
                 id="3_6_badArgument-token-non-xml-character"),
    # Several errors in one response (§3.6).
    pytest.param({"verb": "GetRecord"}, ["badArgument", "badArgument"], id="3_6_several-two-missing"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2018-02-30", "until": "2018-13-01",
                  "colour": "red"}, ["badArgument"] * 3, id="3_6_several-two-dates-and-unknown"),
    pytest.param({"verb": "ListIdentifiers", "from": "2018", "foo": ["1", "2"]}, ["badArgument"] * 3,
                 id="3_6_several-missing-malformed-unknown"),
    # badResumptionToken (expired and tampered: see the tests below).
    pytest.param({"verb": "ListRecords", "resumptionToken": "garbage"}, ["badResumptionToken"],
                 id="3_6_badResumptionToken-garbage"),
    pytest.param({"verb": "ListIdentifiers", "resumptionToken": "e30.aGVsbG8.d29ybGQ"}, ["badResumptionToken"],
                 id="3_6_badResumptionToken-token-shaped"),
    pytest.param({"verb": "ListSets", "resumptionToken": "0"}, ["badResumptionToken"],
                 id="3_6_badResumptionToken-ListSets"),
    # cannotDisseminateFormat.
    pytest.param({"verb": "ListRecords", "metadataPrefix": "marc21"}, ["cannotDisseminateFormat"],
                 id="3_6_cannotDisseminateFormat-ListRecords"),
    pytest.param({"verb": "ListIdentifiers", "metadataPrefix": "oai_marc", "set": "type"},
                 ["cannotDisseminateFormat"], id="3_6_cannotDisseminateFormat-ListIdentifiers"),
    pytest.param({"verb": "GetRecord", "identifier": SEED, "metadataPrefix": "marc21"},
                 ["cannotDisseminateFormat"], id="3_6_cannotDisseminateFormat-GetRecord-repository"),
    pytest.param({"verb": "GetRecord", "identifier": DC_ONLY, "metadataPrefix": "mods"},
                 ["cannotDisseminateFormat"], id="3_6_cannotDisseminateFormat-GetRecord-item"),
    pytest.param({"verb": "GetRecord", "identifier": "oai:test.example.org:nothing", "metadataPrefix": "marc21"},
                 ["cannotDisseminateFormat"], id="3_6_cannotDisseminateFormat-before-id"),
    # idDoesNotExist.
    pytest.param({"verb": "GetRecord", "identifier": "oai:test.example.org:nothing", "metadataPrefix": "oai_dc"},
                 ["idDoesNotExist"], id="3_6_idDoesNotExist-GetRecord"),
    pytest.param({"verb": "GetRecord", "identifier": "urn:isbn:0451450523", "metadataPrefix": "mods"},
                 ["idDoesNotExist"], id="3_6_idDoesNotExist-another-scheme"),
    pytest.param({"verb": "ListMetadataFormats", "identifier": "oai:test.example.org:nothing"},
                 ["idDoesNotExist"], id="3_6_idDoesNotExist-ListMetadataFormats"),
    # noRecordsMatch.
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2999-01-01"}, ["noRecordsMatch"],
                 id="3_6_noRecordsMatch-future"),
    pytest.param({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "1999-12-31T23:59:59Z"},
                 ["noRecordsMatch"], id="3_6_noRecordsMatch-past"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "no:such:set"}, ["noRecordsMatch"],
                 id="3_6_noRecordsMatch-unknown-set"),
    pytest.param({"verb": "ListRecords", "metadataPrefix": "mods", "set": "type:text"}, ["noRecordsMatch"],
                 id="3_6_noRecordsMatch-set-has-no-mods"),
]


@pytest.mark.parametrize("args, codes", ROWS)
def test_3_6_error_is_reported_with_its_code(small, response_schema, args, codes):
    check_error(small, response_schema, args, codes)


def test_3_6_tampered_token_is_badResumptionToken(small, response_schema):
    token = token_for(small, "ListRecords", metadataPrefix="oai_dc")
    i = len(token) // 2
    tampered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
    check_error(small, response_schema, {"verb": "ListRecords", "resumptionToken": tampered}, ["badResumptionToken"])


def test_3_6_token_signed_with_another_key_is_badResumptionToken(small, response_schema):
    state = ResumptionState("ListRecords", "oai_dc", None, None, "2999-01-01T00:00:00Z", ["0", "a"], 1, 2)
    forged, _ = TokenCodec("some-other-secret-key-0123", 3600).encode(state)
    check_error(small, response_schema, {"verb": "ListRecords", "resumptionToken": forged}, ["badResumptionToken"])


def test_3_6_token_of_another_verb_is_badResumptionToken(small, response_schema):
    token = token_for(small, "ListIdentifiers", metadataPrefix="oai_dc")
    check_error(small, response_schema, {"verb": "ListRecords", "resumptionToken": token}, ["badResumptionToken"])


def _later(monkeypatch, seconds: int) -> None:
    """Move the clocks that date tokens: this release's and the one earlier releases' tokens were read by."""
    issued, legacy = tokens.now, TimestampSigner.get_timestamp
    monkeypatch.setattr(tokens, "now", lambda: issued() + seconds)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: legacy(self) + seconds)


def test_3_6_expired_token_is_badResumptionToken(small, response_schema, monkeypatch):
    token = token_for(small, "ListRecords", metadataPrefix="oai_dc")
    assert fetch(small, "GET", {"verb": "ListRecords", "resumptionToken": token}).count(b"<record>") == 1
    _later(monkeypatch, 3600 + 2)
    check_error(small, response_schema, {"verb": "ListRecords", "resumptionToken": token}, ["badResumptionToken"])


def test_3_6_expired_sets_token_is_badResumptionToken(small, response_schema, monkeypatch):
    token = token_for(small, "ListSets")
    _later(monkeypatch, 3600 + 2)
    check_error(small, response_schema, {"verb": "ListSets", "resumptionToken": token}, ["badResumptionToken"])


def _previous_release_token(app, values: list) -> str:
    """A token as the release before this one issued it (itsdangerous, the same secret and salt)."""
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="oai-pmh resumption token").dumps(values)


def test_3_5_a_token_issued_by_the_previous_release_continues_until_it_expires(small, response_schema,
                                                                              monkeypatch):
    token = token_for(small, "ListRecords", metadataPrefix="oai_dc")
    state = small.extensions["repository"].tokens.decode(token, "ListRecords")
    old = _previous_release_token(small, [getattr(state, name) for name in tokens.FIELDS])
    assert not old.startswith(tokens.VERSION)
    assert fetch(small, "GET", {"verb": "ListRecords", "resumptionToken": token}) == \
        fetch(small, "GET", {"verb": "ListRecords", "resumptionToken": old}).replace(old.encode(), token.encode())
    _later(monkeypatch, 3600 + 2)
    check_error(small, response_schema, {"verb": "ListRecords", "resumptionToken": old}, ["badResumptionToken"])


@pytest.mark.parametrize("token", ["2.", "2..", "2.e30.AAAA", "2.!!!.x", "2." + "A" * 40 + "." + "A" * 22,
                                   "W10.AAAA.BBBB", "é", "2.é.é"])
def test_3_6_malformed_tokens_of_either_form_are_badResumptionToken(small, response_schema, token):
    check_error(small, response_schema, {"verb": "ListRecords", "resumptionToken": token}, ["badResumptionToken"])


def test_3_6_token_expires_after_token_lifetime_seconds(tmp_path, database_url, schema_dir, response_schema):
    """TOKEN_LIFETIME=1 and a real wait: the configured lifetime is the one enforced."""
    import time

    app = make_app(tmp_path / "short", database_url, schema_dir, PAGE_SIZE=1, TOKEN_LIFETIME=1)
    try:
        pipeline, store = app.extensions["pipeline"], app.extensions["store"]
        with Clock().installed():
            store.put(pipeline.prepare(DC_NOTE, "dc-note.xml"))
            store.put(pipeline.prepare(DC_NOTE.replace(b"dc-note", b"dc-note-2"), "2.xml"))
        token = token_for(app, "ListRecords", metadataPrefix="oai_dc")
        time.sleep(2.2)
        check_error(app, response_schema, {"verb": "ListRecords", "resumptionToken": token}, ["badResumptionToken"])
    finally:
        app.extensions["store"].close()


def test_3_6_noMetadataFormats_for_an_item_in_no_served_format(small, response_schema):
    """Reachable when a format is withdrawn from the repository while records exist only in it."""
    small.extensions["repository"].formats = {"mods": FORMATS["mods"]}
    check_error(small, response_schema, {"verb": "ListMetadataFormats", "identifier": DC_ONLY}, ["noMetadataFormats"])


@pytest.fixture
def setless(tmp_path, database_url, schema_dir):
    app = make_app(tmp_path / "setless", database_url, schema_dir)
    yield app
    app.extensions["store"].close()


@pytest.mark.parametrize("args", [
    {"verb": "ListSets"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "type"},
    {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "type:text", "from": "2000-01-01"},
], ids=["ListSets", "ListRecords-set", "ListIdentifiers-set-from"])
@pytest.mark.parametrize("content", ["empty", "setless-record"])
def test_3_6_noSetHierarchy_when_the_repository_has_no_sets(setless, response_schema, args, content):
    if content == "setless-record":
        pipeline = setless.extensions["pipeline"]
        records = pipeline.prepare(NO_SETS_NOTE, "setless.xml")
        assert records[0].set_specs == ()
        setless.extensions["store"].put(records)
        fetch(setless, "GET", {"verb": "GetRecord", "identifier": records[0].identifier, "metadataPrefix": "oai_dc"})
    check_error(setless, response_schema, args, ["noSetHierarchy"])


def test_3_6_unknown_set_is_noRecordsMatch_not_noSetHierarchy(small, response_schema):
    check_error(small, response_schema, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "year:1066"},
                ["noRecordsMatch"])


@pytest.mark.parametrize("args", [
    {"verb": "Identify"},
    {"verb": "ListMetadataFormats"},
    {"verb": "ListMetadataFormats", "identifier": SEED},
    {"verb": "ListSets"},
    {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2000-01-01"},
    {"verb": "ListRecords", "metadataPrefix": "mods", "set": "subject:cuba", "until": "2999-12-31T00:00:00Z"},
    {"verb": "GetRecord", "identifier": DC_ONLY, "metadataPrefix": "oai_dc"},
], ids=lambda a: "-".join(a))
def test_3_2_request_echoes_the_arguments_of_a_valid_request(small, response_schema, args):
    bodies = {method: fetch(small, method, args) for method in ("GET", "POST")}
    assert without_moments(bodies["GET"]) == without_moments(bodies["POST"])
    document = assert_valid_oai(bodies["GET"], response_schema)
    assert document.find("oai:error", NS) is None
    request = document.find("oai:request", NS)
    assert request.text == BASE_URL and dict(request.attrib) == args


def test_3_2_resumed_request_echoes_only_verb_and_token(small, response_schema):
    token = token_for(small, "ListRecords", metadataPrefix="oai_dc")
    document = assert_valid_oai(fetch(small, "POST", {"verb": "ListRecords", "resumptionToken": token}),
                                response_schema)
    assert dict(document.find("oai:request", NS).attrib) == {"verb": "ListRecords", "resumptionToken": token}


def test_3_6_error_response_has_no_verb_element(small, response_schema):
    document = check_error(small, response_schema, {"verb": "GetRecord", "identifier": "oai:test.example.org:x",
                                                    "metadataPrefix": "oai_dc"}, ["idDoesNotExist"])
    assert [child.tag for child in document] == [f"{{{OAI_NS}}}responseDate", f"{{{OAI_NS}}}request",
                                                 f"{{{OAI_NS}}}error"]
