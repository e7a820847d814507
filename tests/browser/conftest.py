"""Fixtures for the Neo4j Browser tests: the guide server, headless Chromium, a small hand-made graph.

Chromium is driven by Selenium through the Debian packages ``chromium`` and ``chromium-driver``; tests
that need it are skipped (with the install command) only when those are missing. The network may be
closed: Chromium is started with every background service off, and Selenium is given the driver's path
so it never tries to download one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from graphrec.browser import GuideServer, start_guide_server
from graphrec.db.queries import statements

GRAPH = Path(__file__).with_name("graph.cypher")
REPO = Path(__file__).resolve().parents[2]
INSTALL = "apt-get install -y chromium chromium-driver"

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-extensions", "--window-size=1400,1100", "--force-device-scale-factor=1",
]


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where screenshots go: ``$GRAPHREC_SCREENSHOTS``, else ``screenshots/`` at the repo root (git-ignored).

    ``GRAPHREC_SCREENSHOTS=docs/screenshots`` refreshes the ones the README shows.
    """
    raw = os.environ.get("GRAPHREC_SCREENSHOTS")
    path = Path(raw) if raw else REPO / "screenshots"
    if not path.is_absolute():
        path = REPO / path
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def guide_server() -> Iterator[GuideServer]:
    """The guide and the style served on a free localhost port."""
    server = start_guide_server(port=0)
    yield server
    server.close()


@pytest.fixture
def chrome() -> Iterator[object]:
    """A headless Chromium driven by Selenium, with a throwaway profile."""
    binary = _find("chromium", "chromium-browser", "google-chrome")
    driver_path = _find("chromedriver")
    if binary is None or driver_path is None:
        missing = " and ".join(n for n, p in (("chromium", binary), ("chromedriver", driver_path)) if p is None)
        pytest.skip(f"{missing} not installed (Debian: {INSTALL})")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="graphrec-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def small_graph(db: Driver) -> Driver:
    """``db`` holding ``graph.cypher``: 3 users, 10 films, genres/tags, an active and an older model run."""
    for stmt in statements(GRAPH.read_text()):
        db.execute_query(stmt)
    return db
