"""Pages for people: the home page (description, examples, search, bulk downloads) and record landing pages
with citation metadata, negotiated against MODS and XML by Accept. Record text is untrusted: templates
autoescape, and no page runs a script (errors and security headers: provider/views/safety.py)."""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, url_for
from markupsafe import Markup

from provider.views import citation, signposting, urls
from provider.views.downloads import identifier_of, xml_response
from provider.views.landing import facts_of

blueprint = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/assets")
SEARCH_LIMIT = 50
SETS_SHOWN = 30
NEGOTIABLE = ["text/html", "application/xhtml+xml", "application/mods+xml", "application/xml", "text/xml"]


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.extensions["repository_description"] = app.config.get("REPOSITORY_DESCRIPTION", "")
    # Relative, so it resolves against /oai wherever the app is mounted.
    app.extensions["oai_stylesheet"] = "assets/oai2.xsl"


def oai_url(**args: str) -> str:
    return urls.oai_base_url() + "?" + urlencode(args)


def local_id_of(identifier: str) -> Optional[str]:
    """The local part of one of this repository's identifiers, None for any other identifier."""
    prefix = identifier_of("")
    return identifier[len(prefix):] if identifier.startswith(prefix) and len(identifier) > len(prefix) else None


@blueprint.app_template_global()
def repository_name() -> str:
    return current_app.extensions["repository"].name


@blueprint.app_template_global()
def metadata_prefixes() -> list[str]:
    return list(current_app.extensions["formats"])


@blueprint.app_template_global()
def record_url(identifier: str) -> Optional[str]:
    local = local_id_of(identifier)
    return url_for("pages.record", local_id=local) if local else None


@blueprint.get("/")
def home() -> str:
    repository = urls.repository()
    store = repository.store
    query = " ".join(request.args.get("q", "").split())[:200]
    sample = store.sample_identifier()
    examples = [("Identify", oai_url(verb="Identify")),
                ("ListMetadataFormats", oai_url(verb="ListMetadataFormats")),
                ("ListSets", oai_url(verb="ListSets")),
                ("ListIdentifiers (oai_dc)", oai_url(verb="ListIdentifiers", metadataPrefix="oai_dc")),
                ("ListRecords (mods)", oai_url(verb="ListRecords", metadataPrefix="mods"))]
    if sample:
        examples.append(("GetRecord (oai_dc)", oai_url(verb="GetRecord", metadataPrefix="oai_dc", identifier=sample)))
    return render_template(
        "home.html", repository=repository, description=current_app.extensions.get("repository_description", ""),
        record_count=store.record_count(), formats=repository.formats.values(),
        sets=store.sets(limit=SETS_SHOWN), set_count=store.set_count(), examples=examples, query=query,
        results=store.summaries(query, SEARCH_LIMIT), search_limit=SEARCH_LIMIT)


def _negotiate() -> Optional[str]:
    """'html', or the prefix of the XML to send; None when the client accepts none of them."""
    best = request.accept_mimetypes.best_match(NEGOTIABLE) if request.accept_mimetypes else "text/html"
    if best in ("text/html", "application/xhtml+xml"):
        return "html"
    if best == "application/mods+xml":
        return "mods"
    if best in ("application/xml", "text/xml"):
        return "xml"
    return None


@blueprint.get("/records/<path:local_id>")
def record(local_id: str) -> Response:
    store = current_app.extensions["store"]
    identifier = identifier_of(local_id)
    header = store.header(identifier)
    if header is None:
        abort(404, description=f"There is no record {local_id} in this repository.")
    if header.deleted:
        abort(410, description=f"The record {identifier} was withdrawn on {header.datestamp}.")
    kind = _negotiate()
    if kind is None:
        abort(406, description=f"This record is available as {', '.join(NEGOTIABLE)}.")
    prefixes = store.formats_of(identifier) or []
    master = "mods" if "mods" in prefixes else "oai_dc"
    if kind != "html":
        response = xml_response(identifier, kind if kind == "mods" else master)
    else:
        response = Response(_landing_page(identifier, local_id, header, master, prefixes))
    response.vary.add("Accept")
    return signposting.sign(response, local_id)


def _landing_page(identifier: str, local_id: str, header, master: str, prefixes: list[str]) -> str:
    display = facts_of(current_app.extensions["store"], identifier, master)
    if display is None:
        abort(404, description=f"The record {local_id} has no displayable format.")
    downloads = {p: urls.external_url("downloads.record_file", local_id=local_id, prefix=p) for p in prefixes}
    page_url = urls.external_url("pages.record", local_id=local_id)
    return render_template(
        "record.html", display=display, header=header, identifier=identifier, downloads=downloads,
        formats=current_app.extensions["repository"].formats, page_url=page_url,
        get_record={p: oai_url(verb="GetRecord", metadataPrefix=p, identifier=identifier) for p in prefixes},
        meta_tags=citation.highwire(display),
        json_ld=Markup(citation.json_ld(display, page_url, downloads, current_app.extensions["formats"])))


@blueprint.after_request
def stylesheet_type(response: Response) -> Response:
    """oai2.xsl as an XML type, not left to the host's mime.types: browsers apply only XML stylesheets."""
    if request.endpoint == "pages.static" and request.path.endswith(".xsl"):
        response.mimetype = "application/xslt+xml"
    return response
