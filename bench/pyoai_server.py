"""pyoai's own server (oaipmh.server.BatchingServer) over the provider's SQLite file: the bench's yardstick.

A thin adapter, written the way pyoai asks to be used: its IBatchingOAI interface pages with (cursor,
batch_size), so listing is LIMIT/OFFSET, and every response is an lxml tree that pyoai builds and
serializes whole. The stored oai_dc bytes are copied into that tree by a metadata registry writer. Served as
a WSGI app: gunicorn 'bench.pyoai_server:create_app()' with BENCH_SQLITE naming the provider's database.
"""
from __future__ import annotations

import cgi
import os
import sqlite3
import threading
from datetime import datetime
from typing import Optional
from urllib.parse import parse_qs

from lxml import etree
from oaipmh import common, error
from oaipmh.datestamp import datetime_to_datestamp
from oaipmh.metadata import MetadataRegistry
from oaipmh.server import BatchingServer

from metadata.formats import standard_formats

FORMATS = standard_formats()

# pyoai 2.5 decodes its resumption tokens with cgi.parse_qs, an alias of urllib.parse.parse_qs that Python
# 3.8 removed: without it every resumed list fails. Restore the alias; nothing else of pyoai is touched.
if not hasattr(cgi, "parse_qs"):
    cgi.parse_qs = parse_qs

RECORDS_PAGE = 100  # the provider's OAI_PAGE_SIZE default
IDENTIFIERS_PAGE = 500  # and its OAI_IDENTIFIERS_PAGE_SIZE


def _datetime(datestamp: str) -> datetime:
    return datetime.strptime(datestamp, "%Y-%m-%dT%H:%M:%SZ")


def _header(identifier: str, datestamp: str, deleted: int, set_specs: str) -> common.Header:
    return common.Header(None, identifier, _datetime(datestamp), set_specs.split() if set_specs else [],
                         bool(deleted))


def copy_stored(element: etree._Element, metadata: bytes) -> None:
    """The registry writer: the stored, validated oai_dc bytes become a child of <metadata>."""
    element.append(etree.fromstring(metadata))


# The metadata inside a stored <record> (metadata/store/sql.py), NULL for a tombstone.
METADATA = ("CASE WHEN d.metadata_end > 0 THEN substr(d.record, d.metadata_start + 1,"
            " d.metadata_end - d.metadata_start) END")


class SQLiteOAI:
    """IBatchingOAI over the provider's tables, read-only."""

    def __init__(self, path: str, base_url: str):
        self.path, self.base_url = path, base_url
        self._local = threading.local()
        row = self._db().execute("SELECT min(datestamp) FROM records").fetchone()
        self._identify = common.Identify(
            repositoryName="pyoai BatchingServer (bench)", baseURL=base_url, protocolVersion="2.0",
            adminEmails=["admin@bench.example.org"],
            earliestDatestamp=_datetime(row[0]) if row[0] else datetime(2000, 1, 1),
            deletedRecord="persistent", granularity="YYYY-MM-DDThh:mm:ssZ", compression=["identity"])

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    def identify(self) -> common.Identify:
        return self._identify  # pyoai asks for it on every request (for baseURL); built once

    def listMetadataFormats(self, identifier: Optional[str] = None) -> list:
        prefixes = list(FORMATS)
        if identifier is not None:
            rows = self._db().execute("SELECT prefix FROM disseminations WHERE identifier = ?", (identifier,))
            prefixes = [r[0] for r in rows]
            if not prefixes:
                raise error.IdDoesNotExistError(identifier)
        return [(p, FORMATS[p].schema_url, FORMATS[p].namespace) for p in prefixes]

    def listSets(self, cursor: int = 0, batch_size: int = 10) -> list:
        rows = self._db().execute("SELECT spec, name FROM sets ORDER BY spec LIMIT ? OFFSET ?",
                                  (int(batch_size), int(cursor)))
        return [(spec, name, None) for spec, name in rows]

    def _page(self, columns: str, metadataPrefix: str, set: Optional[str], from_: Optional[datetime],
              until: Optional[datetime], cursor, batch_size) -> list:
        if metadataPrefix not in FORMATS:
            raise error.CannotDisseminateFormatError(metadataPrefix)
        sql, params = " FROM disseminations d JOIN records r ON r.identifier = d.identifier", []
        if set is not None:
            sql += " JOIN memberships m ON m.identifier = d.identifier AND m.set_spec = ?"
            params.append(set)
        sql += " WHERE d.prefix = ?"
        params.append(metadataPrefix)
        for bound, op in ((from_, ">="), (until, "<=")):
            if bound is not None:
                sql += f" AND d.datestamp {op} ?"
                params.append(datetime_to_datestamp(bound))
        return self._db().execute(f"SELECT {columns}{sql} ORDER BY d.datestamp, d.identifier LIMIT ? OFFSET ?",
                                  (*params, int(batch_size), int(cursor))).fetchall()

    def listIdentifiers(self, metadataPrefix: str, set=None, from_=None, until=None, cursor=0, batch_size=10):
        rows = self._page("d.identifier, d.datestamp, r.deleted, r.set_specs", metadataPrefix, set, from_,
                          until, cursor, batch_size)
        return [_header(*row) for row in rows]

    def listRecords(self, metadataPrefix: str, set=None, from_=None, until=None, cursor=0, batch_size=10):
        rows = self._page(f"d.identifier, d.datestamp, r.deleted, r.set_specs, {METADATA}", metadataPrefix, set,
                          from_, until, cursor, batch_size)
        return [(_header(*row[:4]), row[4], None) for row in rows]

    def getRecord(self, metadataPrefix: str, identifier: str):
        row = self._db().execute(
            f"SELECT d.identifier, d.datestamp, r.deleted, r.set_specs, {METADATA} FROM disseminations d"
            " JOIN records r ON r.identifier = d.identifier WHERE d.identifier = ? AND d.prefix = ?",
            (identifier, metadataPrefix)).fetchone()
        if row is None:
            if self._db().execute("SELECT 1 FROM records WHERE identifier = ?", (identifier,)).fetchone():
                raise error.CannotDisseminateFormatError(metadataPrefix)
            raise error.IdDoesNotExistError(identifier)
        return _header(*row[:4]), row[4], None


def create_app(path: Optional[str] = None, base_url: str = "http://127.0.0.1/pyoai"):
    """WSGI app: one BatchingServer per page size (pyoai has one batch size per server)."""
    oai = SQLiteOAI(path or os.environ["BENCH_SQLITE"], base_url)
    registry = MetadataRegistry()
    for prefix in FORMATS:
        registry.registerWriter(prefix, copy_stored)
    records = BatchingServer(oai, registry, resumption_batch_size=RECORDS_PAGE)
    identifiers = BatchingServer(oai, registry, resumption_batch_size=IDENTIFIERS_PAGE)

    def app(environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            query = environ["wsgi.input"].read(length).decode("ascii", "replace")
        args = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        server = identifiers if args.get("verb") == "ListIdentifiers" else records
        body = server.handleRequest(args)
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    return app
