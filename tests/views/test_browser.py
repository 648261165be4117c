"""The pages in a real browser (issue 6): the app on a loopback port, Debian's headless Chromium driven by
Playwright. The seed's title and authors must be visible on the home page, on its landing page and on the
ListRecords response, which the browser itself renders through oai2.xsl. Screenshots go to test-artifacts/."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.views.conftest import settle

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TITLE = "Latin American social medicine across borders"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture
def server(seeded):
    """The seeded app served on a free loopback port for the duration of a test."""
    settle(seeded)
    httpd = make_server("127.0.0.1", 0, seeded, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(10)


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the pages, not the stores, are tested here
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("name, path, authors", [
    ("home", "/", ["Birn, Anne Emanuelle", "Muntaner, Carles"]),
    ("landing", "/records/birn-muntaner-2018", ["Anne Emanuelle Birn", "Carles Muntaner"]),
    ("oai-listrecords", "/oai?verb=ListRecords&metadataPrefix=oai_dc", ["Birn, Anne Emanuelle", "Muntaner, Carles"]),
])
def test_seed_is_visible_in_chromium(server, browser, viewport, name, path, authors):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    response = page.goto(server + path)
    assert response.status == 200
    page.wait_for_load_state("load")
    text = page.inner_text("body")
    assert TITLE in text
    for author in authors:
        assert author in text
    if name == "oai-listrecords":
        # Rendered by the browser through the stylesheet, not shown as an XML tree.
        assert page.locator("article.oai-record").count() == 1
        assert page.title() == "OAI-PMH ListRecords"
        # Chromium 140+ overlays its own notice that it is phasing XSLT out; it is not part of the page.
        page.evaluate("document.querySelectorAll('xslt-warning-banner').forEach(b => b.remove())")
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui"), \
        "the stylesheet is loaded"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "no sideways scrolling"
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.screenshot(path=str(ARTIFACTS / f"{name}-{viewport}.png"), full_page=True)
    page.close()
