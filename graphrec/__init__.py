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

__all__ = ["Artefact", "Session", "Settings", "__version__", "connect", "fit"]
__version__: str   # from the package metadata, on first use (:func:`package_version`)

_WHERE = {"Session": "graphrec.api", "connect": "graphrec.api", "fit": "graphrec.api",
          "Artefact": "graphrec.artefact", "Settings": "graphrec.config"}


def package_version() -> str:
    """graphrec's version: the installed package's metadata (``pyproject.toml``'s ``version``, the one
    source), else, in a checkout that is not installed, :func:`checkout_version`."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("graphrec")
    except PackageNotFoundError:
        return checkout_version()


def checkout_version() -> str:
    """The ``version`` of the ``pyproject.toml`` next to this package (a source checkout), else ``0+unknown``."""
    import re
    from pathlib import Path

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    m = re.search(r'^version\s*=\s*"([^"]+)"', text, flags=re.M)
    return m[1] if m else "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return package_version()
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'graphrec' has no attribute {name!r}")
