"""Stateless resumption tokens (§3.5): the harvest's arguments and keyset position, signed and dated.

Any worker, or a restarted server, continues a harvest from the token alone. The token fixes `until` to
the harvest's start so the list ends, and carries completeListSize and cursor so no page counts again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Optional

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from metadata.record import utc_datestamp

from provider.oai.errors import BadResumptionToken

FIELDS = ("verb", "metadata_prefix", "set_spec", "from_", "until", "after", "cursor", "total")


@dataclass(frozen=True)
class ResumptionState:
    verb: str
    metadata_prefix: Optional[str]
    set_spec: Optional[str]
    from_: Optional[str]
    until: Optional[str]
    after: Optional[list]  # [datestamp, identifier] of the last record sent, or [spec] of the last set
    cursor: int  # items sent before the page this token asks for
    total: int  # completeListSize, counted on the first page

    def advance(self, after: list, sent: int) -> "ResumptionState":
        return replace(self, after=after, cursor=self.cursor + sent)


def _well_formed(values) -> bool:
    """The payload has the shape encode() gives, so nothing downstream trusts a signature alone."""
    if not isinstance(values, list) or len(values) != len(FIELDS):
        return False
    verb, prefix, set_spec, from_, until, after, cursor, total = values
    optional_texts = all(v is None or isinstance(v, str) for v in (prefix, set_spec, from_, until))
    keys = 1 if verb == "ListSets" else 2  # a set's spec, or a record's (datestamp, identifier)
    position = after is None or (isinstance(after, list) and len(after) == keys
                                 and all(isinstance(v, str) for v in after))
    counts = all(isinstance(v, int) and not isinstance(v, bool) for v in (cursor, total)) and cursor >= 0
    return isinstance(verb, str) and optional_texts and position and counts


class TokenCodec:
    def __init__(self, secret_key: str, lifetime: int):
        self._serializer = URLSafeTimedSerializer(secret_key, salt="oai-pmh resumption token")
        self.lifetime = lifetime

    def encode(self, state: ResumptionState) -> tuple[str, str]:
        """(token, expirationDate)."""
        token = self._serializer.dumps([getattr(state, name) for name in FIELDS])  # not asdict: it deep-copies
        return token, utc_datestamp(time.time() + self.lifetime)

    def decode(self, token: str, verb: str) -> ResumptionState:
        try:
            values = self._serializer.loads(token, max_age=self.lifetime)
        except SignatureExpired:
            raise BadResumptionToken("the resumption token has expired; start the harvest again") from None
        except BadData:
            raise BadResumptionToken("the resumption token is not one this repository issued") from None
        if not _well_formed(values):
            raise BadResumptionToken("the resumption token is malformed")
        state = ResumptionState(**dict(zip(FIELDS, values)))
        if state.verb != verb:
            raise BadResumptionToken(f"the resumption token belongs to {state.verb}, not {verb}")
        return state
