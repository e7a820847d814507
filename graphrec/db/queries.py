"""The query registry: every Cypher statement lives in a file under ``cypher/``, loaded by name.

A name is the path below ``cypher/`` without ``.cypher``, e.g. ``"schema/constraints"``. Queries that
are not part of graphrec's behaviour (the benchmarks' own, one of which empties the database) live
in their package's folder instead, loaded with :func:`render_from` or ``load_query(name, root)``. A file may
hold several statements separated by a line that is only ``;``. Labels and relationship types
cannot be Cypher parameters, so a file may contain ``{{Label}}``-style placeholders that
:func:`render` fills only from :mod:`graphrec.db.labels`' allowlist, backtick-quoted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from graphrec.db.labels import quote
from graphrec.errors import NotFoundError

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@cache
def cypher_dir() -> Path:
    """The ``cypher/`` directory: the source checkout's, else the copy shipped in the wheel."""
    checkout = Path(__file__).resolve().parents[2] / "cypher"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("graphrec") / "_cypher"))


def query_names(group: str | None = None) -> list[str]:
    """All query names, optionally only those of one group (``"recommend"``, ``"schema"``…)."""
    root = cypher_dir()
    base = root / group if group else root
    return sorted(str(p.relative_to(root).with_suffix("")) for p in base.rglob("*.cypher"))


@cache
def load_query(name: str, root: Path | None = None) -> str:
    """The text of ``cypher/<name>.cypher`` (``<root>/<name>.cypher`` when ``root`` is given).

    Raises:
        NotFoundError: no such file.
    """
    path = (root or cypher_dir()) / f"{name}.cypher"
    if not path.is_file():
        raise NotFoundError(f"no Cypher query {name!r} (looked for {path})")
    return path.read_text()


def statements(text: str) -> list[str]:
    """Split a file's text on lines that are only ``;``, dropping empty parts and comment-only parts."""
    parts = re.split(r"^\s*;\s*$", text, flags=re.M)
    out = []
    for part in parts:
        code = "\n".join(ln for ln in part.splitlines() if not ln.strip().startswith("//")).strip()
        if code:
            out.append(part.strip().rstrip(";"))
    return out


def placeholders(text: str) -> set[str]:
    """The ``{{name}}`` placeholders a query needs."""
    return set(_PLACEHOLDER.findall(text))


class NameList(tuple[str, ...]):
    """Allowed names (checked like any pasted name) pasted as a Cypher list of strings, ``['RATED', 'VIEWED']``:
    for a query that compares a stored list of names with the ones pasted into its patterns."""

    __slots__ = ()


def _literal(name: str) -> str:
    quote(name)   # raises unless allowed
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _quoted(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, NameList):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if not value:
        raise ValueError("an empty list of labels cannot be pasted")
    return "|".join(quote(v) for v in value)   # a label expression, e.g. (e:`Genre`|`Tag`)


def render(name: str, **names: str | Sequence[str]) -> str:
    """Load query ``name`` and fill its ``{{placeholders}}`` with allowed, backtick-quoted names.

    A value is a label, relationship type or property key (see :func:`graphrec.db.labels.quote`), a
    sequence of labels or relationship types, pasted as the expression ``A|B``, or a :class:`NameList`,
    pasted as a list of string literals.

    Raises:
        NotFoundError: unknown query.
        ValueError: a placeholder without a value, or a value that is not allowed.
    """
    return _fill(name, load_query(name), names)


def render_from(root: Path, name: str, **names: str | Sequence[str]) -> str:
    """:func:`render` for a query of another folder (``<root>/<name>.cypher``), e.g. the benchmarks'."""
    return _fill(name, load_query(name, root), names)


def _fill(name: str, text: str, names: dict[str, str | Sequence[str]]) -> str:
    quoted = {key: _quoted(value) for key, value in names.items()}  # every value checked, used or not

    def fill(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in names:
            raise ValueError(f"query {name!r} needs a value for {{{{{key}}}}}")
        return quoted[key]

    return _PLACEHOLDER.sub(fill, text)
