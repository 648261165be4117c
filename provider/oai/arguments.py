"""The verb table of §4 and parse(): raw request arguments in, a typed OAIRequest or OAI errors out.

Checks run in the order STYLE.md §4 gives: verb, then argument names and repetition, then value syntax
(dates per §3.3.1, prefixes, setSpecs), then the metadata format. Spec spellings stay at this edge.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Mapping, Optional

from provider.oai.errors import BadArgument, BadVerb, CannotDisseminateFormat, OAIError, OAIErrors


@dataclass(frozen=True)
class VerbRule:
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    exclusive: Optional[str] = None  # an argument that must stand alone with verb


VERBS: dict[str, VerbRule] = {
    "Identify": VerbRule(),
    "ListMetadataFormats": VerbRule(optional=("identifier",)),
    "ListSets": VerbRule(exclusive="resumptionToken"),
    "ListIdentifiers": VerbRule(("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
    "ListRecords": VerbRule(("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
    "GetRecord": VerbRule(("identifier", "metadataPrefix")),
}
SNAKE = {"metadataPrefix": "metadata_prefix", "from": "from_", "until": "until", "set": "set_spec",
         "identifier": "identifier", "resumptionToken": "resumption_token"}

DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+\Z")  # OAI-PMH.xsd metadataPrefixType
SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*\Z")  # setSpecType
IDENTIFIER = re.compile(r"[^\s\x00-\x1f\x7f]+\Z")  # anyURI without spaces or control characters
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # outside XML 1.0 Char


@dataclass(frozen=True)
class OAIRequest:
    """A checked request; dates are full UTC datestamps, day granularity widened to the whole day."""

    verb: str
    identifier: Optional[str] = None
    metadata_prefix: Optional[str] = None
    from_: Optional[str] = None
    until: Optional[str] = None
    set_spec: Optional[str] = None
    resumption_token: Optional[str] = None
    echo: dict = field(default_factory=dict)  # the arguments as sent, for the request element (§3.2)


def parse_datestamp(value: str, name: str, end_of_day: bool) -> tuple[str, str]:
    """(full datestamp, granularity) for a §3.3.1 date, or BadArgument."""
    if DAY.match(value):
        granularity, pattern = "day", "%Y-%m-%d"
    elif SECOND.match(value):
        granularity, pattern = "second", "%Y-%m-%dT%H:%M:%SZ"
    else:
        raise BadArgument(f"{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, not {value!r}")
    try:
        datetime.strptime(value, pattern)
    except ValueError:
        raise BadArgument(f"{name} {value!r} is not a real date") from None
    if granularity == "day":
        value += "T23:59:59Z" if end_of_day else "T00:00:00Z"
    return value, granularity


def _verb(args: Mapping[str, list[str]]) -> str:
    verbs = args.get("verb", [])
    if not verbs:
        raise BadVerb("the verb argument is missing")
    if len(verbs) > 1:
        raise BadVerb("the verb argument is repeated")
    if verbs[0] not in VERBS:
        raise BadVerb(f"{verbs[0]!r} is not an OAI-PMH verb")
    return verbs[0]


def _argument_errors(verb: str, args: Mapping[str, list[str]]) -> list[OAIError]:
    rule = VERBS[verb]
    allowed = {"verb", *rule.required, *rule.optional, *([rule.exclusive] if rule.exclusive else [])}
    errors: list[OAIError] = []
    for name in args:
        if name not in allowed:
            errors.append(BadArgument(f"{name!r} is not an argument of {verb}"))
        elif len(args[name]) > 1:
            errors.append(BadArgument(f"the argument {name} is repeated"))
        elif not args[name][0]:
            errors.append(BadArgument(f"the argument {name} is empty"))
        elif NOT_XML.search(args[name][0]):  # could not be echoed in the request element (§3.2)
            errors.append(BadArgument(f"the argument {name} holds a character XML 1.0 forbids"))
    given = set(args) - {"verb"}
    if rule.exclusive and rule.exclusive in given:
        if given - {rule.exclusive}:
            errors.append(BadArgument(f"{rule.exclusive} may only be given with verb"))
    else:
        errors += [BadArgument(f"{verb} requires the argument {name}") for name in rule.required if name not in args]
    return errors


def _value_errors(values: dict[str, str]) -> tuple[dict[str, str], list[OAIError]]:
    errors: list[OAIError] = []
    granularities, typed = {}, {}
    for name in ("from", "until"):
        if name in values:
            try:
                typed[name], granularities[name] = parse_datestamp(values[name], name, name == "until")
            except BadArgument as exc:
                errors.append(exc)
    if len(granularities) == 2:
        if granularities["from"] != granularities["until"]:
            errors.append(BadArgument("from and until must have the same granularity"))
        elif typed["from"] > typed["until"]:
            errors.append(BadArgument("from is later than until"))
    checks = (("metadataPrefix", PREFIX), ("set", SET_SPEC), ("identifier", IDENTIFIER))
    for name, pattern in checks:
        if name in values and not pattern.match(values[name]):
            errors.append(BadArgument(f"{name} {values[name]!r} has an illegal syntax"))
    return typed, errors


def parse(args: Mapping[str, list[str]], prefixes: Iterable[str]) -> OAIRequest:
    """A typed request, or BadVerb, BadArgument (all of them at once) or CannotDisseminateFormat."""
    verb = _verb(args)
    errors = _argument_errors(verb, args)
    values = {name: vals[0] for name, vals in args.items() if vals and vals[0] and name != "verb"}
    typed, value_errors = _value_errors(values)
    errors += value_errors
    if errors:
        raise errors[0] if len(errors) == 1 else OAIErrors(errors)
    prefix = values.get("metadataPrefix")
    if prefix is not None and prefix not in set(prefixes):
        raise CannotDisseminateFormat(f"the metadata format {prefix!r} is not supported by this repository")
    fields = {SNAKE[name]: value for name, value in values.items()}
    fields.update({SNAKE[name]: value for name, value in typed.items()})
    return OAIRequest(verb=verb, echo={"verb": verb, **values}, **fields)
