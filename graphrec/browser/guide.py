"""Render graphrec's Neo4j Browser guide: the template with the queries of ``cypher/`` pasted in.

The template ``cypher/browser/guide.html`` holds ``<slide>`` pages (the format ``:play <url>`` shows as
a carousel). Two markers are filled here: ``{{base}}`` with the URL the guide is served from, and
``{{query:NAME}}`` with the text of ``cypher/NAME.cypher`` (its ``//`` comment lines dropped),
HTML-escaped. A query is therefore written once and the Browser runs the same text as the CLI. The
graph mapping's labels and id properties are pasted into the queries as the CLI does, its
parameters (``entity_keys``, ``title_key``, ``name_keys``) into the guide's ``:params`` line
(``{{params}}``), its user and item labels into the text (``{{user}}``, ``{{item}}``); the style
gets a rule per mapped label (:func:`render_style`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from graphrec.db.names import mapping_names, mapping_params
from graphrec.db.queries import cypher_dir, load_query, placeholders, render, statements
from graphrec.errors import NotFoundError
from graphrec.mapping import DEFAULT_MAPPING, GraphMapping

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


def query_for_browser(name: str, mapping: GraphMapping = DEFAULT_MAPPING) -> str:
    """The first statement of ``cypher/<name>.cypher`` without its ``//`` comment lines, the
    mapping's labels and id properties pasted in.

    Raises:
        NotFoundError: no such query file.
    """
    wanted = placeholders(load_query(name))
    stmts = statements(render(name, **{k: v for k, v in mapping_names(mapping).items() if k in wanted}))
    if not stmts:
        raise NotFoundError(f"Cypher query {name!r} holds no statement")
    lines = [ln.rstrip() for ln in stmts[0].splitlines() if not ln.strip().startswith("//")]
    return "\n".join(ln for ln in lines if ln)


def _literal(value: object) -> str:
    """A Cypher literal of a string, a boolean or a list of strings (for the guide's ``:params`` line)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_library(mapping: GraphMapping = DEFAULT_MAPPING) -> str:
    """The guide's Cypher library: every query of ``cypher/recommend/`` as HTML, its ``:param`` lines and its
    statement each a runnable block, rendered for ``mapping`` (:func:`graphrec.recommend.library.runnable`,
    what ``graphrec query NAME --cypher`` prints; the run's typed branch left out, which gives the same answers).
    """
    from graphrec.recommend.library import names, runnable, summary

    out = []
    for name in names():
        lines = runnable(name, mapping).splitlines()
        params = [ln for ln in lines if ln.startswith(":param ")]
        body = "\n".join(ln for ln in lines if not ln.startswith(":param "))
        out.append(f"<h4>{html.escape(name)}</h4>\n<p>{html.escape(summary(name))}</p>")
        out += [f'<pre class="runnable">{html.escape(p, quote=False)}</pre>' for p in params]
        out.append(f'<pre class="runnable" data-testid="graphrec-library-{html.escape(name)}">'
                   f"{html.escape(body, quote=False)}</pre>")
    return "\n".join(out)


def render_guide(base_url: str, template: str | None = None, mapping: GraphMapping = DEFAULT_MAPPING) -> str:
    """The guide as HTML for ``:play``.

    Args:
        base_url: where the guide and the style are served, without a trailing slash
            (e.g. ``http://localhost:8474``).
        template: the template text (default: ``cypher/browser/guide.html``).
        mapping: the graph mapping, checked against the schema (default: graphrec's own labels).

    Raises:
        NotFoundError: the template names a query that has no file.
    """
    text = (browser_dir() / TEMPLATE_NAME).read_text() if template is None else template
    text = _COMMENT.sub("", text)
    text = text.replace("{{base}}", html.escape(base_url.rstrip("/")))
    text = text.replace("{{user}}", html.escape(mapping.user.label))
    text = text.replace("{{item}}", html.escape(mapping.item.label))
    params = "".join(f", {k}: {_literal(v)}" for k, v in mapping_params(mapping).items())
    text = text.replace("{{params}}", html.escape(params, quote=False))
    if "{{library}}" in text:
        text = text.replace("{{library}}", render_library(mapping))
    return _QUERY.sub(lambda m: html.escape(query_for_browser(m.group(1), mapping), quote=False),
                      text).strip() + "\n"


_GRASS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def render_style(mapping: GraphMapping = DEFAULT_MAPPING, text: str | None = None) -> str:
    """The graph style: ``cypher/browser/graphrec.grass``, plus, for a mapping, a rule per mapped label
    styled like graphrec's own ``User``/``Item``/``Entity`` and captioned by its id or title property
    (labels and properties that a Graph Style Sheet cannot name are left to the Browser's default)."""
    text = (browser_dir() / STYLE_NAME).read_text() if text is None else text
    if not mapping.explicit:
        return text
    rules = {m.group(1): m.group(2) for m in re.finditer(r"^node\.(\w+) \{\n(.*?)^\}", text, re.M | re.S)}
    extra = []
    for own, node, caption in ((("User", mapping.user, mapping.user.id),) +
                               (("Item", mapping.item, mapping.item.title),) +
                               tuple(("Entity", e, e.title) for e in mapping.entities)):
        if node.label in rules or not _GRASS_NAME.match(node.label) or not _GRASS_NAME.match(caption):
            continue
        body = re.sub(r"caption: .*;", f"caption: '{{{caption}}}';", rules[own])
        extra.append(f"node.{node.label} {{\n{body}}}\n")
    return text + "".join(extra)
