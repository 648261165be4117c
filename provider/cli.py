"""The oai-provider command: one small function per task, on Flask's CLI (click).

Expected failures (an invalid record, a missing file, a tampered schema) end with a one-line reason and
exit status 1, never a traceback.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Optional

import click
from flask import current_app
from flask.cli import FlaskGroup
from werkzeug.serving import run_simple

from metadata.files import xml_files
from metadata.ingest import IngestReport
from metadata.ingest import ingest as ingest_files
from metadata.workers import available_cores
from metadata.store import ListQuery, StoreError
from metadata.pipeline import Document
from provider.app import SEED, create_app
from provider.settings import ConfigError
from schemas import catalog


def _set_instance(ctx, param, value):
    if value:
        os.environ["OAI_INSTANCE"] = str(Path(value).resolve())
    return value


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=False,
             add_version_option=False, load_dotenv=False, set_debug_flag=False)
@click.option("--instance", metavar="DIR", callback=_set_instance, expose_value=False, is_eager=True,
              help="Instance folder (default: $OAI_INSTANCE, else ./instance).")
def cli():
    """An OAI-PMH 2.0 provider of MODS and Dublin Core records."""


def _schema_folder() -> Path:
    return Path(current_app.config["SCHEMA_FOLDER"])


def install_schemas(source: str) -> list[str]:
    try:
        return catalog.install(source, _schema_folder())
    except catalog.SchemaError as exc:
        raise click.ClickException(str(exc)) from None


def initialise() -> None:
    """Install schemas (when missing) and load the seed article; safe to run again."""
    if catalog.missing(_schema_folder()):
        install_schemas(current_app.config["SCHEMA_SOURCE"])
    report = ingest_files(current_app.extensions["pipeline"], current_app.extensions["store"],
                          sorted(SEED.glob("*.xml")))
    if report.needs_attention:
        raise click.ClickException(report.summary())


@cli.command(short_help="Create the instance, install schemas, load the seed article.")
def init():
    initialise()
    click.echo(f"initialised {current_app.instance_path}")
    for message in missing_formats():
        click.echo(message, err=True)


def missing_formats() -> list[str]:
    """What an instance made by an earlier release lacks: records with MODS but without a format every MODS
    record has. (A format only some records have, oai_datacite, cannot be told missing by counting.)"""
    store, formats = current_app.extensions["store"], current_app.extensions["formats"]
    masters = store.count(ListQuery("mods"))
    messages = [f"{masters - held} of {masters} records have no {fmt.prefix} yet"
                for fmt in formats.values() if fmt.derive is not None and fmt.always
                for held in [store.count(ListQuery(fmt.prefix))] if held < masters]
    if messages:
        messages.append("to fill them from the stored MODS, run: oai-provider rederive")
    return messages


@cli.command(short_help="Recompute the derived formats of every stored record from its MODS.")
@click.option("--format", "prefixes", multiple=True, metavar="PREFIX",
              help="Recompute only this format (repeatable); the others are kept as stored.")
def rederive(prefixes):
    from metadata.rederive import rederive as rederive_records

    store, formats = current_app.extensions["store"], current_app.extensions["formats"]
    for prefix in prefixes:
        if prefix not in formats or formats[prefix].derive is None:
            derived = ", ".join(p for p, f in formats.items() if f.derive is not None)
            raise click.ClickException(f"{prefix} is not a derived format; use one of {derived}")
    total = store.count(ListQuery("mods"))
    with click.progressbar(length=total, label="rederiving", file=sys.stderr, hidden=total < 50) as bar:
        report = rederive_records(current_app.extensions["pipeline"], store, prefixes or None, progress=bar.update)
    print_report(report)


@cli.group(short_help="Manage the official XML schemas.")
def schemas():
    pass


@schemas.command("install", short_help="Install the pinned schemas, verifying every sha256.")
@click.option("--from", "source", metavar="DIR|URL", default=None,
              help="Folder or URL base laid out like the schema catalog (default: $OAI_SCHEMA_SOURCE, "
                   "else the publishers' canonical URLs).")
def schemas_install(source):
    installed = install_schemas(current_app.config["SCHEMA_SOURCE"] if source is None else source)
    click.echo(f"installed {len(installed)} schemas into {_schema_folder()}")


def _files(paths) -> list[Path]:
    files = list(xml_files(Path(p) for p in paths))
    for path in files:
        if not path.exists():
            raise click.ClickException(f"{path}: no such file or folder")
    return files


def print_report(report: IngestReport, exit_on_attention: bool = True) -> bool:
    """Every refusal, duplicate, skip and rewritten value, then the counts; exit 1 (or return True) when
    something needs attention."""
    for refusal in report.refused:
        click.echo(f"refused {refusal}", err=True)
    for message in report.duplicates:
        click.echo(f"duplicate {message}", err=True)
    for message in report.skipped:
        click.echo(f"skipped {message}", err=True)
    for message in report.notes:
        click.echo(f"note {message}", err=True)
    click.echo(report.summary())
    if report.needs_attention and exit_on_attention:
        sys.exit(1)
    return report.needs_attention


@cli.command(short_help="Validate and store MODS or oai_dc files, or saved OAI-PMH responses.")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, show_default=True,
              help="Processes that parse, validate and crosswalk while this one writes; 0: one per core "
                   "(one process in all on a machine with one core).")
@click.option("--source", metavar="BASE_URL", default=None,
              help="Base URL of the repository saved OAI-PMH records came from, for files that do not say "
                   "(a <record> saved on its own).")
def ingest(paths, jobs, source):
    files = _files(paths)
    workers = jobs or available_cores()
    with click.progressbar(length=len(files), label="ingesting", file=sys.stderr,
                           hidden=len(files) < 50) as bar:
        try:
            report = ingest_files(current_app.extensions["pipeline"], current_app.extensions["store"], files,
                                  progress=bar.update, workers=workers, origin=source)
        except catalog.SchemaError as exc:  # not installed: the message says how to install them
            raise click.ClickException(str(exc)) from None
    print_report(report)


def _datestamp_option(value: Optional[str], name: str) -> Optional[str]:
    if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?", value):
        raise click.BadParameter("expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ", param_hint=name)
    return value


@cli.command(short_help="Pull records from another OAI-PMH repository (incremental after the first run).")
@click.argument("base_url", required=False)
@click.option("--prefix", metavar="P", help="Metadata prefix to harvest (default: mods if offered, else oai_dc).")
@click.option("--set", "set_spec", metavar="S", help="Harvest one set only.")
@click.option("--from", "from_", metavar="DATE", help="Start here instead of after the last harvest.")
@click.option("--until", metavar="DATE", help="Stop at this datestamp.")
@click.option("--all", "every", is_flag=True, help="Harvest every source in OAI_HARVEST_SOURCES.")
def harvest(base_url, prefix, set_spec, from_, until, every):
    from provider.harvester import Harvest, HarvestError, HarvestState, Source

    from_, until = _datestamp_option(from_, "--from"), _datestamp_option(until, "--until")
    if every == bool(base_url):
        raise click.UsageError("give either BASE_URL or --all")
    sources = [Source(s["url"], s["prefix"], s["set"]) for s in current_app.config["HARVEST_SOURCES"]] if every \
        else [Source(base_url, prefix, set_spec)]
    if not sources:
        raise click.ClickException("OAI_HARVEST_SOURCES lists no sources")
    state = HarvestState(Path(current_app.instance_path) / "harvest-state.json")
    failed = False
    for source in sources:
        def progress(page, source=source):
            of = f" of {page.complete_list_size}" if page.complete_list_size is not None else ""
            click.echo(f"{source.url}: page {page.number} stored, {job.report.read} records read{of}", err=True)

        job = Harvest(source, current_app.extensions["pipeline"], current_app.extensions["store"], state,
                      progress=progress)
        click.echo(f"harvesting {source.url}", err=True)
        try:
            job.run(from_, until)
        except KeyboardInterrupt:
            print_report(job.report, exit_on_attention=False)
            click.echo("interrupted: every page stored so far is kept; run the same command again to resume", err=True)
            sys.exit(130)
        except (HarvestError, catalog.SchemaError) as exc:
            click.echo(f"Error: {exc}", err=True)
            failed = True
        if job.resumed:
            click.echo(f"{source.url}: resumed an interrupted harvest", err=True)
        failed = print_report(job.report, exit_on_attention=False) or failed
    if failed:
        sys.exit(1)


@cli.command(short_help="Check files without storing them.")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate(paths):
    pipeline, refused = current_app.extensions["pipeline"], 0
    for path in _files(paths):
        try:
            prepared = pipeline.prepare_all([Document(path.read_bytes(), str(path))])[0]
        except catalog.SchemaError as exc:
            raise click.ClickException(str(exc)) from None
        if prepared.records:
            click.echo(f"valid {path}: {', '.join(r.identifier for r in prepared.records)}")
        for refusal in prepared.refused:
            click.echo(f"invalid {refusal}", err=True)
        refused += len(prepared.refused)
    if refused:
        raise click.ClickException(f"{refused} record(s) invalid")


def _identifier(value: str) -> str:
    """Accept a full OAI identifier or a local id."""
    return value if value.startswith("oai:") else current_app.extensions["pipeline"].identifier(value)


@cli.command(short_help="Delete a record, keeping a tombstone.")
@click.argument("identifier")
def delete(identifier):
    header = current_app.extensions["store"].delete(_identifier(identifier))
    if header is None:
        raise click.ClickException(f"no record {_identifier(identifier)}")
    click.echo(f"deleted {header.identifier} at {header.datestamp}")


@cli.command(short_help="Print a stored record.")
@click.argument("identifier")
@click.option("--format", "prefix", default="mods", show_default=True, help="Metadata prefix.")
def show(identifier, prefix):
    stored = current_app.extensions["store"].get(_identifier(identifier), prefix)
    if stored is None:
        raise click.ClickException(f"no record {_identifier(identifier)} in format {prefix}")
    if stored.metadata is None:
        raise click.ClickException(f"{stored.header.identifier} was deleted at {stored.header.datestamp}")
    click.echo(stored.metadata.decode())


@cli.command(short_help="Write every record in one format to one file, as /download/<prefix>.xml.gz does.")
@click.option("--format", "prefix", required=True, help="Metadata prefix (mods: a modsCollection; "
              "others: an OAI static repository).")
@click.option("--gzip", "compress", is_flag=True, help="Compress the file with gzip.")
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True))
def export(prefix, compress, out):
    from provider.views.export import document, gzipped

    repository = current_app.extensions["repository"]
    # No request to take the base URL from: the configured one, else the one ingest writes into records.
    repository = replace(repository, base_url=repository.base_url or current_app.extensions["pipeline"].site.base_url)
    if prefix not in repository.formats:
        raise click.ClickException(f"no metadata format {prefix}; use one of {', '.join(repository.formats)}")
    chunks = gzipped(document(repository, prefix)) if compress else document(repository, prefix)
    with click.open_file(out, "wb", atomic=out != "-") as stream:
        for chunk in chunks:
            stream.write(chunk)
    if out != "-":
        click.echo(f"exported {prefix} to {out}", err=True)


@cli.command(short_help="Serve the provider (initialises a new instance first).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host, port):
    if catalog.missing(_schema_folder()):
        initialise()
    configured = current_app.extensions["repository"].base_url
    seen = configured or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/oai"
    click.echo(f"OAI-PMH at {seen} (instance {current_app.instance_path})", err=True)
    # Not app.run(): under Flask's CLI (FLASK_RUN_FROM_CLI) it returns at once without serving.
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


@cli.group(short_help="Manage the write API's bearer tokens.")
def tokens():
    pass


def _token_registry():
    return current_app.extensions["api_tokens"]


@tokens.command("create", short_help="Create a token: print it once, keep only its sha256.")
@click.argument("name")
def tokens_create(name):
    from provider.api_tokens import TokenError

    try:
        token = _token_registry().create(name)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(token)
    click.echo(f"token {name!r} created; only its sha256 is kept (in {_token_registry().path}), "
               "so copy it now: it cannot be shown again", err=True)


@tokens.command("list", short_help="List token names (never the tokens).")
def tokens_list():
    registry = _token_registry()
    for name in sorted(registry.created()):
        click.echo(f"{name}\tinstance")
    for name in sorted(registry.configured):
        click.echo(f"{name}\tconfiguration")


@tokens.command("revoke", short_help="Revoke a token created with tokens create.")
@click.argument("name")
def tokens_revoke(name):
    from provider.api_tokens import TokenError

    try:
        _token_registry().revoke(name)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"revoked {name}")


def main() -> None:
    try:
        cli.main(prog_name="oai-provider")
    except (ConfigError, StoreError) as exc:  # raised while the app is built, before any command runs
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
