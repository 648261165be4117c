"""Stateless resumption tokens (§3.5): the harvest's arguments and keyset position, signed and dated.

Any worker, or a restarted server, continues a harvest from the token alone. The token fixes `until` to
the harvest's start so the list ends, and carries completeListSize and cursor so no page counts again.

A token is `2.<payload>.<mac>`: the payload is base64url JSON [issued at, *fields], the mac the first 16 bytes
of HMAC-SHA256 over `2.<payload>` under a key derived once from the secret key (every page decodes one token
and encodes the next, so neither derives a key or tries compression per call). Tokens of earlier releases
(itsdangerous's `<payload>.<time>.<signature>`, whose payload never starts with `2.`) are still read until
they expire, so a harvest under way during an upgrade finishes.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, replace
from typing import Optional

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from metadata.record import utc_datestamp

from provider.oai.errors import BadResumptionToken

VERSION = "2."
MAC_BYTES = 16
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


def now() -> float:
    """The clock tokens are dated by (tests move it to expire them)."""
    return time.time()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenCodec:
    def __init__(self, secret_key: str, lifetime: int):
        key = hashlib.sha256(b"oai-pmh resumption token 2\x00" + secret_key.encode("utf-8")).digest()
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._legacy = URLSafeTimedSerializer(secret_key, salt="oai-pmh resumption token")
        self.lifetime = lifetime

    def _sign(self, signed: str) -> str:
        mac = self._mac.copy()
        mac.update(signed.encode("utf-8"))
        return _b64(mac.digest()[:MAC_BYTES])

    def encode(self, state: ResumptionState) -> tuple[str, str]:
        """(token, expirationDate)."""
        issued = int(now())
        values = [issued] + [getattr(state, name) for name in FIELDS]  # not asdict: it deep-copies
        signed = VERSION + _b64(json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        return f"{signed}.{self._sign(signed)}", utc_datestamp(issued + self.lifetime)

    def decode(self, token: str, verb: str) -> ResumptionState:
        values = self._read(token) if token.startswith(VERSION) else self._read_legacy(token)
        if not _well_formed(values):
            raise BadResumptionToken("the resumption token is malformed")
        state = ResumptionState(**dict(zip(FIELDS, values)))
        if state.verb != verb:
            raise BadResumptionToken(f"the resumption token belongs to {state.verb}, not {verb}")
        return state

    def _read(self, token: str) -> list:
        signed, _, mac = token.rpartition(".")
        if not signed.startswith(VERSION) or not hmac.compare_digest(mac.encode("ascii", "replace"),
                                                                      self._sign(signed).encode("ascii")):
            raise BadResumptionToken("the resumption token is not one this repository issued")
        try:
            dated = json.loads(_unb64(signed[len(VERSION):]))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise BadResumptionToken("the resumption token is malformed") from None
        if not isinstance(dated, list) or not dated or type(dated[0]) is not int:
            raise BadResumptionToken("the resumption token is malformed")
        if now() - dated[0] > self.lifetime:
            raise BadResumptionToken("the resumption token has expired; start the harvest again")
        return dated[1:]

    def _read_legacy(self, token: str) -> list:
        try:
            return self._legacy.loads(token, max_age=self.lifetime)
        except SignatureExpired:
            raise BadResumptionToken("the resumption token has expired; start the harvest again") from None
        except BadData:
            raise BadResumptionToken("the resumption token is not one this repository issued") from None
