"""The ceiling: the least a Flask server can do to page the provider's stored bytes by keyset, served beside
the provider and pyoai's server so that every provider figure is also a ratio to it, in the same run.

Not an OAI-PMH server: no argument checking, no errors, no token signing or expiry, only the envelope that
bench/client.py reads. A page is one query on the dissemination key range (metadata/store/sql.py) whose rows
are joined and sent with a Content-Length; the list is counted once, on its first page, and the count rides
in the token. It fetches one row more than a page, as the provider does: a count cannot tell whether more
rows follow, since records updated during a harvest leave the range. Served as a WSGI app:
gunicorn 'bench.ceiling:create_app()' with BENCH_SQLITE naming the provider's SQLite database.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Optional
from xml.sax.saxutils import escape

from flask import Flask, Response, request

OPEN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b"<responseDate>%s</responseDate><request>http://127.0.0.1/ceiling</request><%s>")
CLOSE = b"</%s></OAI-PMH>"
RECORD_END = b"</record>"
# verb: (column sent, rows per page, what closes each row); the page sizes are the provider's defaults
LISTS = {"ListRecords": ("record", 100, RECORD_END), "ListIdentifiers": ("header", 500, b"")}


def token(prefix: str, total: int, after: tuple[str, str]) -> str:
    """The resumption token: where the list resumes, and what it needs to carry (bench/measure.py mints it)."""
    return "|".join((prefix, str(total), *after))


def create_app(path: Optional[str] = None) -> Flask:
    path = path or os.environ["BENCH_SQLITE"]
    local = threading.local()

    def db() -> sqlite3.Connection:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        return local.db

    app = Flask(__name__)

    def respond(verb: str, body: bytes) -> Response:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()).encode()
        return Response(b"".join((OPEN % (now, verb.encode()), body, CLOSE % verb.encode())),
                        content_type="text/xml; charset=utf-8")

    @app.get("/")
    def oai() -> Response:
        args = request.args
        verb = args.get("verb", "Identify")
        if verb == "GetRecord":  # named index: without statistics SQLite scans the prefix's key range instead
            row = db().execute("SELECT record FROM disseminations INDEXED BY disseminations_by_identifier"
                               " WHERE identifier = ? AND prefix = ?",
                               (args["identifier"], args["metadataPrefix"])).fetchone()
            return respond(verb, row[0] + RECORD_END)
        if verb not in LISTS:  # Identify: the bench's readiness probe
            return respond(verb, b"")
        if "resumptionToken" in args:
            prefix, total, datestamp, identifier = args["resumptionToken"].split("|", 3)
        else:
            prefix, datestamp, identifier = args["metadataPrefix"], "", ""
            total = db().execute("SELECT count(*) FROM disseminations WHERE prefix = ?", (prefix,)).fetchone()[0]
        column, size, end = LISTS[verb]
        rows = db().execute(f"SELECT datestamp, identifier, {column} FROM disseminations WHERE prefix = ?"
                            " AND (datestamp, identifier) > (?, ?) ORDER BY datestamp, identifier LIMIT ?",
                            (prefix, datestamp, identifier, size + 1)).fetchall()
        more = len(rows) > size
        rows = rows[:size]
        next_token = escape(token(prefix, total, rows[-1][:2])) if more else ""
        return respond(verb, b"".join([end.join(row[2] for row in rows), end,
                                       b'<resumptionToken completeListSize="%s">%s</resumptionToken>'
                                       % (str(total).encode(), next_token.encode())]))

    return app
