"""Bearer tokens of the write API: shown once when created, kept only as sha256 hashes, checked in constant time.

Two sources are merged: the API_TOKENS setting (name -> hash, for operators who deploy configuration) and
the instance's api_tokens.json, which `oai-provider tokens create` writes. The file is re-read whenever it
changes, so a token created or revoked while the server runs counts from the next request, in every worker.
A plain sha256 is enough because tokens are 256 random bits: there is no dictionary to try against a hash.
Knows nothing of HTTP.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
from pathlib import Path
from typing import Optional

TOKEN_FILE = "api_tokens.json"
TOKEN_PREFIX = "oaip_"  # makes a leaked token easy to recognise (secret scanners, logs)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
HASH = re.compile(r"[0-9a-f]{64}\Z")


class TokenError(Exception):
    """A token name is invalid or taken, or the token file cannot be read."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def read_token_file(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise TokenError(f"{path}: cannot read the token file: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) and HASH.match(v) for v in data.values()):
        raise TokenError(f"{path}: expected a JSON object of token name -> hex sha256")
    return data


def _write_token_file(path: Path, hashes: dict[str, str]) -> None:
    """Replace the file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".api_tokens.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(hashes, out, indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class TokenRegistry:
    def __init__(self, instance: Path, configured: dict[str, str]):
        self.path = Path(instance) / TOKEN_FILE
        self.configured = dict(configured)
        self._lock = threading.Lock()
        self._stamp: Optional[tuple] = None
        self._created: dict[str, str] = {}

    def created(self) -> dict[str, str]:
        """The instance file's tokens, re-read only when the file changed. Raises TokenError if unreadable."""
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._created = read_token_file(self.path) if stamp else {}
                self._stamp = stamp
            return dict(self._created)

    def hashes(self) -> dict[str, str]:
        return {**self.created(), **self.configured}

    def identify(self, token: str, include_file: bool = True) -> Optional[str]:
        """The name of the presented token, or None. Every hash is compared (each in constant time), so the
        time taken says nothing about which, or how much of one, matched."""
        presented = token_hash(token)
        match = None
        for name, digest in (self.hashes() if include_file else self.configured).items():
            if hmac.compare_digest(presented, digest):
                match = name
        return match

    def create(self, name: str) -> str:
        """A new token for name; only its hash is written to the instance file."""
        if not NAME.match(name):
            raise TokenError(f"token name {name!r}: use 1-64 letters, digits, '.', '_' or '-'")
        if name in self.configured:
            raise TokenError(f"a token named {name!r} is defined in the configuration (OAI_API_TOKENS)")
        hashes = read_token_file(self.path)
        if name in hashes:
            raise TokenError(f"a token named {name!r} exists; revoke it first")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        hashes[name] = token_hash(token)
        _write_token_file(self.path, hashes)
        return token

    def revoke(self, name: str) -> None:
        hashes = read_token_file(self.path)
        if name not in hashes:
            if name in self.configured:
                raise TokenError(f"the token {name!r} is defined in the configuration (OAI_API_TOKENS): remove it there")
            raise TokenError(f"no token named {name!r} in {self.path}")
        del hashes[name]
        _write_token_file(self.path, hashes)
