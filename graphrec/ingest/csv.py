"""Generic CSV adapter: your own catalogue, users, interactions and knowledge graph, without code.

``graphrec load csv --path DIR`` reads these files from ``DIR``. Every file is UTF-8 (a BOM is
allowed), comma-separated with RFC 4180 quoting (quote a field holding commas, quotes or newlines with
``"``; double a quote inside it), and starts with a header row naming its columns. Every row is
validated before anything is written; the first bad row stops the load with
``file:line: column: what is wrong`` and nothing is written.

``items.csv`` (required)
    ``id`` (required, unique) and any other columns. ``title`` and ``text`` are the item's title and
    free text. Other columns become properties of ``(:Item)``; write ``name:int``, ``name:float`` or
    ``name:string`` in the header to type a column (default: string). An empty cell leaves the
    property unset. When there is no ``text`` column (or its cell is empty) the item's ``text`` is built
    from the title and the other string columns: ``"<title>. <column>: <value>. …"``. That ``text`` is
    what graphrec embeds with sentence-transformers.

``users.csv`` (optional)
    ``id`` (required, unique) and typed attribute columns as in ``items.csv``, stored on ``(:User)``.
    Without this file, users are created from ``interactions.csv``; with it, an interaction by a user it
    does not list is an error.

``interactions.csv`` (required)
    ``user``, ``item`` (required; ``item`` must be an ``id`` of ``items.csv``), and optionally
    ``type`` (the behaviour, e.g. ``rated``, ``viewed``, ``bought``; sanitised to an UPPER_SNAKE
    relationship type; default ``interacted``), ``timestamp`` (epoch seconds, or ISO 8601 date or
    date-time, UTC unless it has an offset), ``weight`` (a number) and ``split`` (``train``, ``valid``
    or ``test``; default ``train``). No other columns. Each row becomes
    ``(:User)-[:TYPE {weight, ts, split}]->(:Item)``; for ``rated``, ``weight`` is also stored as
    ``rating``. A second row for the same (user, item, type) replaces the first (last row wins).

``triples.csv`` (optional)
    ``head``, ``relation``, ``tail``: knowledge-graph facts about items. A ``head``/``tail`` equal to an
    item id is that ``(:Item)``; any other value is an ``(:Entity)``: ``kind:name`` values
    (``genre:Comedy``, ``tag:jazz``) keep that id, with ``kind`` and ``name`` split off and the kind's
    label added when graphrec knows it (``genre`` → ``:Genre``, ``tag`` → ``:Tag``…); plain values
    become ``kg:<value>``. ``relation`` is sanitised to an UPPER_SNAKE type (``has genre`` →
    ``HAS_GENRE``, ``http://schema.org/byArtist`` → ``BY_ARTIST``), the raw name kept in ``source``.

Example::

    items.csv          id,title,text,year:int
                       i1,Blue Train,"Hard bop album, 1957",1957
    interactions.csv   user,item,type,timestamp,weight,split
                       u1,i1,rated,2024-05-01,4.5,train
    triples.csv        head,relation,tail
                       i1,has genre,genre:Jazz
"""

from __future__ import annotations

import csv as _csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graphrec.db.labels import FIXED_TYPES, sanitize_type
from graphrec.db.names import own_property
from graphrec.errors import InputError
from graphrec.ingest.entities import KIND_LABELS
from graphrec.ingest.kg import add_triple
from graphrec.ingest.records import GraphRecords, NodeSet
from graphrec.ingest.validate import (
    Line,
    parse_float,
    parse_id,
    parse_int,
    parse_split,
    parse_timestamp,
    require_file,
)

LAYOUT = ("csv: a folder with items.csv (id,title,text,...), interactions.csv (user,item[,type,timestamp,weight,"
          "split]), optionally users.csv (id,...) and triples.csv (head,relation,tail); see graphrec.ingest.csv")
INTERACTION_COLUMNS = ("user", "item", "type", "timestamp", "weight", "split")
TRIPLE_COLUMNS = ("head", "relation", "tail")
_PROP = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_TYPES = ("string", "int", "float")


def read_csv(path: Path) -> tuple[list[str], Iterator[Line]]:
    """The header and the data rows of a CSV file, checked for encoding and field count.

    Raises:
        InputError: undecodable bytes, a malformed quote, an empty file, or a row of the wrong width.
    """
    file = str(path)

    def text_lines() -> Iterator[str]:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                try:
                    yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as e:
                    raise InputError(file, number, "encoding",
                                     f"byte 0x{raw[e.start]:02x} at offset {e.start} is not valid UTF-8") from e

    reader = _csv.reader(text_lines(), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(file, 1, "header", "the file is empty; a header row is required") from None
    except _csv.Error as e:
        raise InputError(file, reader.line_num, "header", f"malformed CSV: {e}") from None

    def rows() -> Iterator[Line]:
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except _csv.Error as e:
                raise InputError(file, reader.line_num, "row", f"malformed CSV: {e}") from None
            line = Line(file, reader.line_num, fields)
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise line.error("columns", f"expected {len(header)} fields ({', '.join(header)}), "
                                            f"found {len(fields)}")
            yield line

    return header, rows()


def refuse_own_property(path: Path, column: str, prop: str) -> None:
    """Refuse a column that would be stored as one of graphrec's own node properties
    (:func:`graphrec.db.names.own_property`: ``text_embedding`` loaded as a string breaks ``train`` later)."""
    why = own_property(prop)
    if why is not None:
        raise InputError(path, 1, column, f"graphrec writes the property {prop!r} itself ({why}); rename the column")


def column_name(header_cell: str) -> str:
    """A header cell as an error or warning shows it: an empty name reads ``'' (empty)``."""
    return header_cell if header_cell else "'' (empty)"


def _typed_columns(path: Path, header: list[str]) -> list[tuple[str, str]]:
    """``(property, type)`` for each header cell (``year:int`` → ``("year", "int")``)."""
    out = []
    for cell in header:
        name, _, kind = cell.partition(":")
        kind = kind.strip().lower() or "string"
        name = name.strip()
        if not _PROP.match(name):
            raise InputError(path, 1, column_name(cell), f"column name {name!r} is not a valid property name "
                                                        f"(letters, digits, _; not starting with a digit)")
        if kind not in _TYPES:
            raise InputError(path, 1, cell, f"type {kind!r} is not one of {', '.join(_TYPES)}")
        refuse_own_property(path, cell, name)
        out.append((name, kind))
    names = [n for n, _ in out]
    for n in names:
        if names.count(n) > 1:
            raise InputError(path, 1, column_name(n), "column named twice")
    if "id" not in names:
        raise InputError(path, 1, "id", f"required column missing (header: {', '.join(header)})")
    return out


def _convert(line: Line, name: str, kind: str, value: str) -> Any:
    if not value.strip():
        return None
    if kind == "int":
        return parse_int(line, name, value)
    if kind == "float":
        return parse_float(line, name, value)
    return value.strip()


def _read_nodes(path: Path, nodes: NodeSet, build_text: bool) -> None:
    header, rows = read_csv(path)
    cols = _typed_columns(path, header)
    for ln in rows:
        props: dict[str, Any] = {}
        node_id = ""
        for (name, kind), value in zip(cols, ln.fields, strict=True):
            if name == "id":
                node_id = parse_id(ln, "id", value)
            else:
                props[name] = _convert(ln, name, kind, value)
        if node_id in nodes.nodes:
            raise ln.error("id", f"id {node_id!r} listed twice")
        if build_text and not props.get("text"):
            extra = [f"{n}: {props[n]}" for n, k in cols if k == "string" and n not in ("id", "title", "text")
                     and props.get(n)]
            parts = [str(props["title"])] if props.get("title") else []
            props["text"] = ". ".join(parts + extra) + "." if parts or extra else None
        nodes.add(node_id, **props)


def _entity_end(rec: GraphRecords, items: NodeSet, value: str) -> tuple[str, str]:
    if value in items.nodes:
        return ("Item", value)
    kind, sep, name = value.partition(":")
    if not sep or not kind or not name:
        kind, name, eid = "kg", value, f"kg:{value}"
    else:
        eid = value
    rec.node_set("Entity", "triples.csv", KIND_LABELS.get(kind)).add(eid, name=name, kind=kind)
    return ("Entity", eid)


def _behaviour_type(line: Line, raw: str) -> str:
    """The relationship type of a behaviour (``rated`` → ``RATED``, ``add to cart`` → ``ADD_TO_CART``)."""
    try:
        rel = sanitize_type(raw)
    except ValueError:
        raise line.error("type", f"cannot make a relationship type from {raw!r}") from None
    if rel in FIXED_TYPES:
        raise line.error("type", f"{raw!r} names a type graphrec reserves ({rel}); use a behaviour name")
    return rel


def _check_header(path: Path, header: list[str], allowed: tuple[str, ...], required: tuple[str, ...]) -> None:
    for h in header:
        if h not in allowed:
            raise InputError(path, 1, column_name(h), f"unknown column; allowed: {', '.join(allowed)}")
    for r in required:
        if r not in header:
            raise InputError(path, 1, r, f"required column missing (header: {', '.join(header)})")
    for h in header:
        if header.count(h) > 1:
            raise InputError(path, 1, column_name(h), "column named twice")


def load_csv(path: Path, name: str) -> GraphRecords:
    """Parse and validate a folder in the generic CSV format (see the module docstring).

    Raises:
        InputError: a missing file or a bad row.
    """
    items_file = require_file(path / "items.csv", LAYOUT)
    inter_file = require_file(path / "interactions.csv", LAYOUT)
    rec = GraphRecords(name, files=[items_file, inter_file])
    users = rec.node_set("User", "users.csv")
    items = rec.node_set("Item", "items.csv")
    has_users = (path / "users.csv").is_file()
    if has_users:
        rec.files.append(path / "users.csv")
        _read_nodes(path / "users.csv", users, build_text=False)
    _read_nodes(items_file, items, build_text=True)

    header, rows = read_csv(inter_file)
    _check_header(inter_file, header, INTERACTION_COLUMNS, ("user", "item"))
    col = {h: i for i, h in enumerate(header)}

    def cell(ln: Line, column: str) -> str:
        return ln.fields[col[column]].strip() if column in col else ""

    for ln in rows:
        user, item = parse_id(ln, "user", cell(ln, "user")), parse_id(ln, "item", cell(ln, "item"))
        if item not in items.nodes:
            raise ln.error("item", f"item {item!r} is not in items.csv")
        if has_users and user not in users.nodes:
            raise ln.error("user", f"user {user!r} is not in users.csv")
        users.add(user)
        rel = _behaviour_type(ln, cell(ln, "type") or "interacted")
        weight = parse_float(ln, "weight", cell(ln, "weight")) if cell(ln, "weight") else None
        ts = parse_timestamp(ln, "timestamp", cell(ln, "timestamp")) if cell(ln, "timestamp") else None
        props: dict[str, Any] = {"weight": weight, "ts": ts, "split": parse_split(ln, "split", cell(ln, "split"))}
        if rel == "RATED":
            props["rating"] = weight
        rs = rec.rel_set(rel, "User", "Item", "interactions.csv")
        if rs.props and set(rs.props) != set(props):
            props = {k: props.get(k) for k in rs.props}
        rs.add(user, item, **props)

    triples_file = path / "triples.csv"
    if triples_file.is_file():
        rec.files.append(triples_file)
        header, rows = read_csv(triples_file)
        _check_header(triples_file, header, TRIPLE_COLUMNS, TRIPLE_COLUMNS)
        col = {h: i for i, h in enumerate(header)}
        for ln in rows:
            head = _entity_end(rec, items, parse_id(ln, "head", ln.fields[col["head"]]))
            tail = _entity_end(rec, items, parse_id(ln, "tail", ln.fields[col["tail"]]))
            add_triple(rec, ln, "relation", head, parse_id(ln, "relation", ln.fields[col["relation"]]), tail,
                       "triples.csv")
    return rec
