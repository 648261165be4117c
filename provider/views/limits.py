"""Flow control at the edge, before any view runs: a per-client request rate and the size of /oai arguments.
(Request bodies are bounded by Flask itself: MAX_CONTENT_LENGTH, answered with 413.)

- Rate: a token bucket per client address (request.remote_addr: the connecting address or, with
  TRUSTED_PROXIES = n, the client named by X-Forwarded-For as the n proxies in front of us wrote it; see
  provider/app.py),
  RATE_LIMIT requests per second with bursts of RATE_BURST, off when RATE_LIMIT is 0. Over it the answer is
  503 with Retry-After, as OAI-PMH §3.1.2.2 describes for a harvester that should slow down. The buckets live
  in the memory of one worker process: with N workers a client gets up to N times the rate.
- Arguments: OAI-PMH has no argument that needs more than a few hundred characters, so /oai arguments longer
  than MAX_ARGUMENTS_LENGTH together are answered with the protocol's own badArgument (§3.6), HTTP 200,
  before the verb parses them. (Their syntax, characters included, is the protocol's business: oai/arguments.)
"""
from __future__ import annotations

import math
import threading
import time
from typing import Callable, Optional

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import ServiceUnavailable

from provider.oai.errors import BadArgument
from provider.views import oai

OAI_ENDPOINT = "oai.endpoint"


class TokenBucket:
    """Per-key buckets holding up to `burst` requests, refilled at `rate` per second. Thread-safe."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = 100_000):
        self.rate, self.burst, self.clock, self.max_clients = rate, burst, clock, max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if the request may go ahead (and count it), else the seconds until it would."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > self.max_clients:
                    self._forget_idle(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        """Drop clients whose bucket has filled up again: they are as if never seen. Under a flood from more
        addresses than max_clients, forget everyone rather than grow without bound."""
        refill = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}
        if len(self._buckets) > self.max_clients:
            self._buckets.clear()


def init_app(app: Flask) -> None:
    rate = app.config["RATE_LIMIT"]
    app.extensions["rate_limiter"] = TokenBucket(rate, app.config["RATE_BURST"]) if rate else None
    app.before_request(limit_rate)
    app.before_request(limit_arguments)


def limit_rate() -> Optional[Response]:
    limiter = current_app.extensions.get("rate_limiter")
    if limiter is None:
        return None
    wait = limiter.take(request.remote_addr or "")
    if not wait:
        return None
    seconds = max(1, math.ceil(wait))
    # answered by the one error path (provider/views/safety.py), in the language of where it was asked
    raise ServiceUnavailable(f"Too many requests: retry after {seconds} seconds.", retry_after=seconds)


def limit_arguments() -> Optional[Response]:
    if request.endpoint != OAI_ENDPOINT:
        return None
    args = request.form if request.method == "POST" else request.args
    limit = current_app.config["MAX_ARGUMENTS_LENGTH"]
    if sum(len(name) + len(value) for name, value in args.items(multi=True)) <= limit:
        return None
    return oai.error(BadArgument(f"the request's arguments are longer than {limit} characters together"))
