"""What every benchmark shares: its Neo4j server, where datasets are read from, the machine's load."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from graphrec.config import Settings, load_settings
from graphrec.loaders.types import RecGraph


@contextmanager
def server(tmp: Path, heap: str = "2g", pagecache: str = "1g") -> Iterator[Settings]:
    """A throwaway local Neo4j (or the one named by GRAPHREC_BENCH_NEO4J_URI)."""
    uri = os.environ.get("GRAPHREC_BENCH_NEO4J_URI")
    if uri:
        yield load_settings({"uri": uri, "home": tmp, "password": os.environ.get("GRAPHREC_BENCH_NEO4J_PASSWORD", "")})
        return
    from graphrec.localdb.local import LocalNeo4j, free_port

    bolt, http = free_port(), free_port()
    password = secrets.token_urlsafe(12)
    srv = LocalNeo4j(home=tmp, password=password, bolt_port=bolt, http_port=http, heap=heap, pagecache=pagecache)
    try:
        srv.start()
        yield load_settings({"uri": srv.bolt_uri, "home": tmp, "password": password, "bolt_port": bolt,
                             "http_port": http}, env={})
    finally:
        srv.stop()


def data_dir() -> Path:
    """Where the benchmarks read datasets from: graphrec's ``data_dir`` setting, i.e. ``GRAPHREC_DATA_DIR``
    when set, else ``../shared/datasets`` beside the checkout when that folder exists, else
    ``<GRAPHREC_HOME>/datasets``. Each benchmark's ``--data-dir`` overrides it."""
    found = load_settings().data_dir
    assert found is not None  # load_settings always fills it
    return found


def loadavg() -> str:
    """The 1/5/15-minute load average, as BENCHMARKS.md prints it."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def bench_graph(interactions: str | None, seed: int = 2020) -> RecGraph:
    """The graph of the database a benchmark is pointed at (``GRAPHREC_BENCH_NEO4J_URI``, else a throwaway one),
    streamed and split as ``graphrec evaluate --seed seed`` streams it (its stored split, else seeded; 2020 is
    evaluate's default), so a bench's figures sit on the table's split; ``interactions``: comma-separated positive
    behaviours (default: every behaviour)."""
    from graphrec.api import Session

    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp)) as settings, Session(settings) as session:
        return session.graph(seed=seed, interactions=interactions.split(",") if interactions else None)
