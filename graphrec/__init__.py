"""graphrec: recommendations from the Neo4j graph you already have.

The public API (nothing heavy is imported until it is used)::

    import graphrec
    gr = graphrec.connect("bolt://localhost:7687", auth=("neo4j", "secret"))
    artefact = graphrec.fit(gr.graph())
    gr.publish(artefact)
    gr.recommend("1", k=10)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphrec.api import Session, connect, fit
    from graphrec.artefact import Artefact
    from graphrec.config import Settings

__all__ = ["Artefact", "Session", "Settings", "connect", "fit"]

_WHERE = {"Session": "graphrec.api", "connect": "graphrec.api", "fit": "graphrec.api",
          "Artefact": "graphrec.artefact", "Settings": "graphrec.config"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'graphrec' has no attribute {name!r}")
