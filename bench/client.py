"""A plain HTTP harvester for timing (http.client, keep-alive when the server allows it).

It does the least a harvester must: send the request, read the whole body, find the resumption token, count
headers. It never parses the XML, so the time measured is the server's and the socket's, not the client's.
"""
from __future__ import annotations

import html
import http.client
import re
import time
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import quote, urlsplit

TOKEN = re.compile(rb"<resumptionToken\b([^>]*?)(?:/>|>([^<]*)</resumptionToken>)")
COMPLETE_LIST_SIZE = re.compile(rb'completeListSize="(\d+)"')


class HarvestError(Exception):
    """The server answered with an OAI-PMH error or an HTTP failure where the bench expected records."""


@dataclass
class Harvest:
    items: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds per page, request sent to last byte
    complete_list_size: Optional[int] = None

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


class Client:
    def __init__(self, port: int, path: str):
        self.port, self.path = port, path
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def get(self, query: str) -> tuple[bytes, float]:
        """The body of one request and the seconds it took; an OAI error is a HarvestError."""
        start = time.perf_counter()
        self.conn.request("GET", f"{self.path}?{query}")
        response = self.conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise HarvestError(f"HTTP {response.status} for {query}: {body[:300]!r}")
        if b"<error" in body[:4096]:
            raise HarvestError(f"OAI error for {query}: {body[:600]!r}")
        return body, elapsed

    def close(self) -> None:
        self.conn.close()


def token_of(body: bytes) -> tuple[Optional[str], Optional[int]]:
    """(resumption token or None when the list is complete, completeListSize if given)."""
    match = TOKEN.search(body, max(0, len(body) - 8192))
    if match is None:
        return None, None
    size = COMPLETE_LIST_SIZE.search(match.group(1) or b"")
    token = html.unescape(match.group(2).decode()) if match.group(2) else None
    return token or None, int(size.group(1)) if size else None


def harvest(port: int, path: str, verb: str, prefix: str = "oai_dc", stop_after: Optional[int] = None) -> Harvest:
    """A complete list, following resumption tokens (or the first stop_after items)."""
    client, result = Client(port, path), Harvest()
    query = f"verb={verb}&metadataPrefix={prefix}"
    start = time.perf_counter()
    try:
        while query:
            body, elapsed = client.get(query)
            result.latencies.append(elapsed)
            result.items += body.count(b"<header")
            token, size = token_of(body)
            if size is not None and result.complete_list_size is None:
                result.complete_list_size = size
            if stop_after is not None and result.items >= stop_after:
                break
            query = f"verb={verb}&resumptionToken={quote(token, safe='')}" if token else None
    finally:
        client.close()
    result.seconds = time.perf_counter() - start
    return result


LOC = re.compile(rb"<loc>([^<]+)</loc>")


def listing(port: int, path: str) -> Harvest:
    """A ResourceSync list or sitemap, whole: the document, or an index and every part it names, on one
    connection (the parts' paths and queries, whatever host the base URL names); items are its <url>s."""
    client, result = Client(port, path), Harvest()
    start = time.perf_counter()
    try:
        body, elapsed = client.get("")
        result.latencies.append(elapsed)
        if b"<sitemapindex" in body[:2048]:
            for loc in LOC.findall(body):
                part = urlsplit(html.unescape(loc.decode()))  # asked of this server, whatever host it names
                client.path = part.path
                body, elapsed = client.get(part.query)
                result.latencies.append(elapsed)
                result.items += body.count(b"<url>")
        else:
            result.items = body.count(b"<url>")
    finally:
        client.close()
    result.seconds = time.perf_counter() - start
    return result


def harvest_job(args: tuple) -> Harvest:
    """harvest() with its arguments in a tuple, for a process pool."""
    return harvest(*args)


def timed_requests(port: int, path: str, queries: list[str]) -> list[float]:
    """Seconds for each request, in order, on one connection."""
    client = Client(port, path)
    try:
        return [client.get(q)[1] for q in queries]
    finally:
        client.close()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]
