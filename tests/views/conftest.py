"""Helpers for the page tests."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest


def settle(app) -> None:
    """Wait out the second of the latest write: a harvest lists only records stamped before the second it
    starts in (records of that second may still be arriving), so a list right after ingest could be empty."""
    store = app.extensions["store"]
    latest = max(h.datestamp for h, _ in store.summaries("", 1000))
    moment = datetime.strptime(latest, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    time.sleep(max(0.0, moment + 1 - time.time()))


@pytest.fixture
def listed(seeded):
    """The seeded app, once the seed can appear in a list request."""
    settle(seeded)
    return seeded
