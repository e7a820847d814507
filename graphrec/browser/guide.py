"""Render graphrec's Neo4j Browser guide: the template with the queries of ``cypher/`` pasted in.

The template ``cypher/browser/guide.html`` holds ``<slide>`` pages (the format ``:play <url>`` shows as
a carousel). Two markers are filled here: ``{{base}}`` with the URL the guide is served from, and
``{{query:NAME}}`` with the text of ``cypher/NAME.cypher`` (its ``//`` comment lines dropped),
HTML-escaped. A query is therefore written once and the Browser runs the same text as the CLI.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from graphrec.db.queries import cypher_dir, load_query, statements
from graphrec.errors import NotFoundError

GUIDE_NAME = "graphrec.html"
"""The URL path the rendered guide is served at."""

STYLE_NAME = "graphrec.grass"
"""The file name of the graph style (Graph Style Sheet) in ``cypher/browser/``."""

TEMPLATE_NAME = "guide.html"
"""The guide template's file name in ``cypher/browser/``."""

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_QUERY = re.compile(r"\{\{query:([\w/-]+)\}\}")


def browser_dir() -> Path:
    """``cypher/browser/``: the style, the guide template and the guide's own queries."""
    return cypher_dir() / "browser"


def query_for_browser(name: str) -> str:
    """The first statement of ``cypher/<name>.cypher`` without its ``//`` comment lines.

    Raises:
        NotFoundError: no such query file.
    """
    stmts = statements(load_query(name))
    if not stmts:
        raise NotFoundError(f"Cypher query {name!r} holds no statement")
    lines = [ln.rstrip() for ln in stmts[0].splitlines() if not ln.strip().startswith("//")]
    return "\n".join(ln for ln in lines if ln)


def render_guide(base_url: str, template: str | None = None) -> str:
    """The guide as HTML for ``:play``.

    Args:
        base_url: where the guide and the style are served, without a trailing slash
            (e.g. ``http://localhost:8474``).
        template: the template text (default: ``cypher/browser/guide.html``).

    Raises:
        NotFoundError: the template names a query that has no file.
    """
    text = (browser_dir() / TEMPLATE_NAME).read_text() if template is None else template
    text = _COMMENT.sub("", text)
    text = text.replace("{{base}}", html.escape(base_url.rstrip("/")))
    return _QUERY.sub(lambda m: html.escape(query_for_browser(m.group(1)), quote=False), text).strip() + "\n"
