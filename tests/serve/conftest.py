"""The HTTP API served for real (uvicorn on a free localhost port) over the published toy graph."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from neo4j import Driver

from graphrec.localdb.local import free_port
from tests.recommend.conftest import published  # noqa: F401 - the shared published toy graph fixture

pytest.importorskip("fastapi", reason="the [serve] extra (fastapi, uvicorn) is not installed")


@dataclass
class Reply:
    status: int
    body: Any


def get(url: str, timeout: float = 60.0) -> Reply:
    """GET ``url``; the status and the decoded JSON body, for errors too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return Reply(resp.status, json.loads(resp.read()))
    except urllib.error.HTTPError as e:
        return Reply(e.code, json.loads(e.read()))


@contextmanager
def serving(driver: Driver) -> Iterator[str]:
    """Run ``create_app(driver)`` under uvicorn in a thread on a free 127.0.0.1 port; yield its base URL."""
    import uvicorn

    from graphrec.serve import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(driver), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def base_url(driver: Driver) -> Iterator[str]:
    with serving(driver) as url:
        yield url
