"""One function per OAI-PMH verb (§4): a checked request in, the body of the response out.

Each handler does its store queries before it returns, so every error is raised before the first byte is
sent; what it returns only writes. respond() ties parsing, dispatch and the envelope together.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterator, Mapping, Optional

from metadata.record import second_before, utc_datestamp
from metadata.store.base import ListQuery
from provider.oai import envelope
from provider.oai.arguments import OAIRequest, parse
from provider.oai.envelope import Body, Writer
from provider.oai.errors import (BadArgument, BadResumptionToken, BadVerb, CannotDisseminateFormat,
                                 IdDoesNotExist, NoMetadataFormats, NoRecordsMatch, NoSetHierarchy, OAIError)
from provider.oai.repository import Repository
from provider.oai.tokens import ResumptionState


def utc_now() -> str:
    return utc_datestamp()


def identify(request: OAIRequest, repo: Repository, now: str) -> Body:
    earliest = repo.store.earliest_datestamp() or now
    sample = repo.store.sample_identifier() or f"oai:{repo.repository_identifier}:birn-muntaner-2018"

    def body(w: Writer) -> Iterator[None]:
        w.text("repositoryName", repo.name)
        w.text("baseURL", repo.base_url)
        w.text("protocolVersion", "2.0")
        for email in repo.admin_emails:
            w.text("adminEmail", email)
        w.text("earliestDatestamp", earliest)
        w.text("deletedRecord", "persistent")
        w.text("granularity", "YYYY-MM-DDThh:mm:ssZ")
        w.text("compression", "gzip")
        w.text("compression", "deflate")
        with w.element("description"):
            w.fragment(envelope.oai_identifier(repo.repository_identifier, sample))
        yield
    return body


def list_metadata_formats(request: OAIRequest, repo: Repository, now: str) -> Body:
    prefixes = list(repo.formats)
    if request.identifier is not None:
        available = repo.store.formats_of(request.identifier)
        if available is None:
            raise IdDoesNotExist(f"no record has the identifier {request.identifier!r}")
        prefixes = [p for p in prefixes if p in available]
        if not prefixes:
            raise NoMetadataFormats()

    def body(w: Writer) -> Iterator[None]:
        for prefix in prefixes:
            fmt = repo.formats[prefix]
            with w.element("metadataFormat"):
                w.text("metadataPrefix", fmt.prefix)
                w.text("schema", fmt.schema_url)
                w.text("metadataNamespace", fmt.namespace)
            yield
    return body


def _resume(request: OAIRequest, repo: Repository, now: str) -> tuple[ResumptionState, bool]:
    """The harvest's state: from the token, or a new one whose `until` is fixed to its start (§3.5).

    The harvest ends at the second before its start: records stamped in the start's second may still be
    written after the list is counted, and would join it uncounted; an incremental harvest from this
    responseDate takes them, so consecutive harvests tile time without gap or overlap."""
    if request.resumption_token is not None:
        state = repo.tokens.decode(request.resumption_token, request.verb)
        if state.metadata_prefix is not None and state.metadata_prefix not in repo.formats:
            raise BadResumptionToken("the resumption token names a format this repository no longer has")
        return state, True
    until = min(request.until, second_before(now)) if request.until else second_before(now)
    return ResumptionState(request.verb, request.metadata_prefix, request.set_spec, request.from_, until,
                           None, 0, -1), False


def _token(w: Writer, repo: Repository, state: ResumptionState, resumed: bool, more: bool,
           last: list, sent: int) -> None:
    """The resumptionToken element (§3.5): a next token, an empty one on the last page, or none."""
    if more:
        token, expires = repo.tokens.encode(state.advance(last, sent))
        w.resumption_token(token, expires, state.total, state.cursor)
    elif resumed:
        w.resumption_token("", None, state.total, state.cursor)


def _list(request: OAIRequest, repo: Repository, now: str, with_metadata: bool) -> Body:
    state, resumed = _resume(request, repo, now)
    if state.set_spec is not None and repo.store.set_count() == 0:
        raise NoSetHierarchy()
    query = ListQuery(state.metadata_prefix, state.from_, state.until, state.set_spec)
    size = repo.page_size if with_metadata else repo.identifiers_page_size
    rows, last, more = repo.store.page(query, state.after and tuple(state.after), size, with_metadata)
    if not rows:
        raise NoRecordsMatch()
    if state.total < 0:
        state = replace(state, total=repo.store.count(query) if more else len(rows))

    def body(w: Writer) -> Iterator[None]:
        if with_metadata:
            w.records(rows, repo.rights)
        else:
            w.raw(b"".join(rows))
        yield
        _token(w, repo, state, resumed, more, list(last), len(rows))
    return body


def list_identifiers(request: OAIRequest, repo: Repository, now: str) -> Body:
    return _list(request, repo, now, with_metadata=False)


def list_records(request: OAIRequest, repo: Repository, now: str) -> Body:
    return _list(request, repo, now, with_metadata=True)


def list_sets(request: OAIRequest, repo: Repository, now: str) -> Body:
    if repo.store.set_count() == 0:
        raise NoSetHierarchy()
    state, resumed = _resume(request, repo, now)
    if state.total < 0:
        state = replace(state, total=repo.store.set_count())
    sets = repo.store.sets(state.after[0] if state.after else None, repo.sets_page_size + 1)
    if not sets:
        raise BadResumptionToken("the sets this token continues are gone")
    more = len(sets) > repo.sets_page_size
    sets = sets[:repo.sets_page_size]

    def body(w: Writer) -> Iterator[None]:
        for info in sets:
            with w.element("set"):
                w.text("setSpec", info.spec)
                w.text("setName", info.name)
                with w.element("setDescription"):
                    w.fragment(envelope.dc_description(info.name, info.description or f"Records in {info.name}."))
            yield
        _token(w, repo, state, resumed, more, [sets[-1].spec], len(sets))
    return body


def get_record(request: OAIRequest, repo: Repository, now: str) -> Body:
    stored = repo.store.get(request.identifier, request.metadata_prefix)
    if stored is None:
        if repo.store.header(request.identifier) is None:
            raise IdDoesNotExist(f"no record has the identifier {request.identifier!r}")
        raise CannotDisseminateFormat(
            f"{request.identifier} is not available in the format {request.metadata_prefix!r}")

    def body(w: Writer) -> Iterator[None]:
        w.records([stored.record], repo.rights)
        yield
    return body


HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
    "GetRecord": get_record,
}


def respond(args: Mapping[str, list[str]], repo: Repository, stylesheet: Optional[str] = None) -> Iterator[bytes]:
    """The whole response to one request, errors included, as a stream of bytes."""
    now = utc_now()
    try:
        request = parse(args, repo.formats)
        if request.verb in ("ListIdentifiers", "ListRecords") and request.resumption_token is None:
            now = repo.harvest_start()  # the responseDate an incremental harvest starts from (§3.5)
        body = HANDLERS[request.verb](request, repo, now)
    except OAIError as error:
        return error_response(error, args, repo, now, stylesheet)
    return envelope.stream(repo.base_url, now, request.echo, request.verb, body, stylesheet)


def error_response(error: OAIError, args: Mapping[str, list[str]], repo: Repository, now: str,
                   stylesheet: Optional[str] = None) -> Iterator[bytes]:
    """§3.6 errors; the request element echoes the arguments except after badVerb or badArgument (§3.2)."""
    codes = {e.code for e in error.errors}
    echo = {} if codes & {BadVerb.code, BadArgument.code} else {k: v[0] for k, v in args.items()}
    return envelope.stream(repo.base_url, now, echo, None, envelope.errors_body(error.errors), stylesheet)
