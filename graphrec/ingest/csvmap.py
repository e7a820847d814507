"""CSV exports as they are: a small TOML mapping from your column names to graphrec's roles.

``graphrec load csv --path DIR --mapping MAPPING.toml`` reads the files the mapping names (relative to
``DIR``; without ``--path``, to the mapping file's folder). No conversion script: columns are renamed,
multi-valued columns split into entities and tag applications merged by the mapping. The mapping
for MovieLens' current format (``ml-latest``, ``ml-32m``…)::

    name = "movielens-latest"              # dataset name (default: csv:<folder>)

    [items]
    file = "movies.csv"
    id = "movieId"
    title = "title"
    # text = ["plot"]                      # columns joined into the embedded text (default: the title)
    # unknown = "keep"                     # keep columns the mapping does not name, as string properties

    [items.entities.genres]                # the column "genres" holds several values…
    separator = "|"                        # …separated by "|"
    kind = "genre"                         # each one is (:Entity:Genre {id: "genre:<value>", name, kind})
    relationship = "HAS_GENRE"             # (:Item)-[:HAS_GENRE]->(:Entity) (default: HAS_<KIND>)
    skip = ["(no genres listed)"]          # values that mean "none"

    [[behaviours]]
    file = "ratings.csv"
    type = "RATED"                         # (:User)-[:RATED {weight, rating, ts, split}]->(:Item)
    user = "userId"
    item = "movieId"
    weight = "rating"                      # optional number
    # min_weight = 3.5                     # optional: pairs weighted below it are seen, not positives
    timestamp = "timestamp"                # optional: epoch seconds or ISO 8601
    # split = "split"                      # optional column: train / valid / test

    [[behaviours]]
    file = "tags.csv"
    type = "TAGGED"
    user = "userId"
    item = "movieId"
    tag = "tag"                            # one row = one tag application
    timestamp = "timestamp"
    # entities = true                      # each distinct tag (:Entity:Tag), (:Item)-[:HAS_TAG]->(:Tag)

An optional ``[users]`` table (``file``, ``id``, ``unknown``) reads user attributes; without it users
are the ids the behaviour files name. Rules:

- Every row is validated before anything is written; a bad row stops the load with
  ``file:line: column: what is wrong`` (the column as your file names it) and nothing is written.
- Columns the mapping does not name are ignored, with one warning line naming them, unless the
  table says ``unknown = "keep"``: then they are stored as string properties. Unnamed columns (a
  header ending ``timestamp,,,,``) and columns named twice are ignored the same way whatever their
  cells hold, and never kept; a column named twice that the mapping uses is an error.
- A behaviour file with ``tag`` keeps **every** tag application: one relationship per (user, item)
  holding ``tags`` (all tags in file order, repeats included), ``count`` (the number of applications)
  and ``ts`` (the latest timestamp). Any other behaviour file keeps one relationship per (user, item):
  a repeated pair replaces the earlier row (last row wins). The load report says how many rows were
  merged either way.
- ``entities = true`` on a tag file also makes each distinct tag (as written: case counts) an
  ``(:Entity:Tag {id: "tag:<tag>", name, kind: "tag"})`` linked ``(:Item)-[:HAS_TAG {count}]->(:Tag)``
  (``count``: the users who gave the item that tag), as lastfm-2k's adapter does, so ``--entity tag:…``,
  ``--diverse`` and explanations ("same tag …") use the tags.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphrec.errors import InputError
from graphrec.ingest.csv import _PROP, _behaviour_type, column_name, read_csv, refuse_own_property
from graphrec.ingest.entities import KIND_LABELS, add_entity, entity_id
from graphrec.ingest.kg import relation_type
from graphrec.ingest.records import GraphRecords, NodeSet
from graphrec.ingest.validate import Line, parse_float, parse_id, parse_split, parse_timestamp, require_file

_UNKNOWN = ("ignore", "keep")


@dataclass(frozen=True)
class EntityColumn:
    """A multi-valued column split into entities linked from the item."""

    column: str
    kind: str
    relationship: str
    separator: str = "|"
    skip: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeFile:
    """The ``[items]`` or ``[users]`` table."""

    file: str
    id: str
    title: str | None = None
    text: tuple[str, ...] = ()
    entities: tuple[EntityColumn, ...] = ()
    keep_unknown: bool = False


@dataclass(frozen=True)
class BehaviourFile:
    """One ``[[behaviours]]`` table."""

    file: str
    type: str
    user: str
    item: str
    weight: str | None = None
    timestamp: str | None = None
    split: str | None = None
    tag: str | None = None
    keep_unknown: bool = False
    min_weight: float | None = None
    entities: bool = False


@dataclass(frozen=True)
class CsvMapping:
    """A parsed, checked mapping file."""

    path: Path
    items: NodeFile
    behaviours: tuple[BehaviourFile, ...]
    users: NodeFile | None = None
    name: str | None = None


class _Table:
    """Typed reads of one TOML table that name the key path in every error."""

    def __init__(self, path: Path, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise InputError(path, None, where, "must be a table")
        self.path, self.where, self.data = path, where, data

    def error(self, key: str, problem: str) -> InputError:
        return InputError(self.path, None, f"{self.where}.{key}" if self.where else key, problem)

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.error(key, f"unknown key; allowed: {', '.join(allowed)}")

    def string(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, got {value!r}")
        return value.strip()

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, f"must be a list of strings, got {value!r}")
        return tuple(value)

    def keep_unknown(self) -> bool:
        value = self.data.get("unknown", "ignore")
        if value not in _UNKNOWN:
            raise self.error("unknown", f"must be one of {', '.join(_UNKNOWN)}, got {value!r}")
        return bool(value == "keep")


def _entity_column(path: Path, column: str, data: Any) -> EntityColumn:
    t = _Table(path, f"items.entities.{column}", data)
    t.check_keys(("separator", "kind", "relationship", "skip"))
    kind = t.string("kind", required=True) or ""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", kind):
        raise t.error("kind", f"must be lower_snake (letters, digits, _), got {kind!r}")
    separator = t.data.get("separator", "|")
    if not isinstance(separator, str) or not separator:
        raise t.error("separator", f"must be a non-empty string, got {separator!r}")
    raw_rel = t.string("relationship") or f"HAS_{kind.upper()}"
    try:
        rel = relation_type(Line(str(path), 0, []), "relationship", raw_rel)
    except InputError as e:
        raise t.error("relationship", e.problem) from None
    return EntityColumn(column, kind, rel, separator, t.strings("skip"))


def _node_file(path: Path, where: str, data: Any, is_items: bool) -> NodeFile:
    t = _Table(path, where, data)
    t.check_keys(("file", "id", "title", "text", "entities", "unknown") if is_items else ("file", "id", "unknown"))
    ents = _Table(path, f"{where}.entities", t.data.get("entities", {}))
    return NodeFile(file=t.string("file", required=True) or "", id=t.string("id", required=True) or "",
                    title=t.string("title"), text=t.strings("text"),
                    entities=tuple(_entity_column(path, c, d) for c, d in ents.data.items()),
                    keep_unknown=t.keep_unknown())


def _min_weight(t: _Table) -> float | None:
    value = t.data.get("min_weight")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise t.error("min_weight", f"expected a number, got {value!r}")
    return float(value)


def _behaviour_file(path: Path, n: int, data: Any) -> BehaviourFile:
    t = _Table(path, f"behaviours[{n}]", data)
    t.check_keys(("file", "type", "user", "item", "weight", "min_weight", "timestamp", "split", "tag", "entities",
                  "unknown"))
    entities = t.data.get("entities", False)
    if not isinstance(entities, bool):
        raise t.error("entities", f"must be true or false, got {entities!r}")
    if entities and "tag" not in t.data:
        raise t.error("entities", "needs `tag` (the column whose values become entities)")
    raw_type = t.string("type", required=True) or ""
    try:
        rel = _behaviour_type(Line(str(path), 0, []), raw_type)
    except InputError as e:
        raise t.error("type", e.problem) from None
    b = BehaviourFile(file=t.string("file", required=True) or "", type=rel, user=t.string("user", required=True) or "",
                      item=t.string("item", required=True) or "", weight=t.string("weight"),
                      timestamp=t.string("timestamp"), split=t.string("split"), tag=t.string("tag"),
                      keep_unknown=t.keep_unknown(), min_weight=_min_weight(t), entities=entities)
    if b.min_weight is not None and b.weight is None:
        raise t.error("min_weight", "needs `weight` (the column it is compared with)")
    if b.tag is not None and b.weight is not None:
        raise t.error("weight", "a tag file merges its rows per (user, item); it cannot also take a weight")
    if b.tag is not None and b.keep_unknown:
        raise t.error("unknown", "a tag file merges its rows per (user, item); its other columns cannot be kept")
    return b


def read_mapping(path: Path) -> CsvMapping:
    """Parse and check a mapping file (see the module docstring).

    Raises:
        InputError: the file is missing, not TOML, or a key is unknown, missing or of the wrong type.
    """
    require_file(path, "a TOML mapping with [items] and [[behaviours]] tables; see graphrec.ingest.csvmap")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(path, None, "encoding", f"not valid UTF-8 ({e.reason})") from e
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column \d+\)", str(e))
        raise InputError(path, int(m[1]) if m else None, "toml", str(e)) from e
    top = _Table(path, "", data)
    top.check_keys(("name", "items", "users", "behaviours"))
    if "items" not in data:
        raise top.error("items", "required table missing")
    behaviours = data.get("behaviours")
    if not isinstance(behaviours, list) or not behaviours:
        raise top.error("behaviours", "at least one [[behaviours]] table is required")
    mapping = CsvMapping(path=path, name=top.string("name"), items=_node_file(path, "items", data["items"], True),
                         users=_node_file(path, "users", data["users"], False) if "users" in data else None,
                         behaviours=tuple(_behaviour_file(path, i, b) for i, b in enumerate(behaviours)))
    seen: dict[str, BehaviourFile] = {}
    for i, b in enumerate(mapping.behaviours):
        other = seen.setdefault(b.type, b)
        if other is not b and (b.tag is not None or other.tag is not None):
            raise InputError(path, None, f"behaviours[{i}].type",
                             f"{b.type} is also the type of {other.file}; a tag file needs a type of its own")
        if other is not b and b.min_weight != other.min_weight:
            raise InputError(path, None, f"behaviours[{i}].min_weight",
                             f"{b.type} is also the type of {other.file}, with another min_weight")
    _check_tag_entities(mapping)
    return mapping


def _check_tag_entities(mapping: CsvMapping) -> None:
    """At most one tag file makes entities, and no item column is already linked by its HAS_TAG."""
    tagging = [i for i, b in enumerate(mapping.behaviours) if b.entities]
    if len(tagging) > 1:
        raise InputError(mapping.path, None, f"behaviours[{tagging[1]}].entities",
                         f"only one tag file can make tag entities ({mapping.behaviours[tagging[0]].file} does)")
    clash = next((e for e in mapping.items.entities if e.relationship == "HAS_TAG"), None)
    if tagging and clash is not None:
        raise InputError(mapping.path, None, f"behaviours[{tagging[0]}].entities",
                         f"items.entities.{clash.column} already links items by HAS_TAG; give it another "
                         f"relationship")


@dataclass
class _Columns:
    """Where the mapped columns sit in one file's header, and the columns the mapping does not name."""

    file: Path
    index: dict[str, int]
    unknown: list[str] = field(default_factory=list)

    def cell(self, ln: Line, column: str | None) -> str:
        return ln.fields[self.index[column]].strip() if column is not None else ""


def _ignored(header: list[str], named: set[str]) -> list[str]:
    """Unnamed or repeated columns the mapping does not use, shown once each with their number."""
    counts = {h: header.count(h) for h in header if h not in named and (not h or header.count(h) > 1)}
    return [column_name(h) + (f" ×{n}" if n > 1 else "") for h, n in counts.items()]


def _columns(file: Path, header: list[str], where: str, roles: Mapping[str, str | None], keep: bool,
             notes: list[str], reserved: tuple[str, ...]) -> _Columns:
    named = {c for c in roles.values() if c is not None}
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        if h in index and h in named:
            role = next(f"{where}.{r}" for r, c in roles.items() if c == h)
            raise InputError(file, 1, column_name(h), f"column named twice, and the mapping uses it ({role}); "
                                                      f"rename one of them")
        index.setdefault(h, i)
    for role, column in roles.items():
        if column is not None and column not in index:
            raise InputError(file, 1, column, f"column named by the mapping ({where}.{role}) is missing "
                                              f"(header: {', '.join(map(column_name, header))})")
    ignored = _ignored(header, named)
    cols = _Columns(file, index, [h for h in index if h not in named and h and header.count(h) == 1])
    if cols.unknown and keep:
        _check_kept(file, cols.unknown, reserved)
    unused = ignored if keep else cols.unknown + ignored
    if unused:
        hints = [] if keep or not cols.unknown else [
            f"unknown = \"keep\" in [{where.split('[')[0]}] stores them as properties"]
        hints += ["unnamed and repeated columns are never kept"] if ignored else []
        notes.append(f"warning: {file.name}: ignoring columns the mapping does not name: {', '.join(unused)} "
                     f"({'; '.join(hints)})")
    return cols


def _check_kept(file: Path, columns: list[str], reserved: tuple[str, ...]) -> None:
    for h in columns:
        if not _PROP.match(h):
            raise InputError(file, 1, h, "cannot keep this column: not a valid property name (letters, digits, "
                                         "_; not starting with a digit)")
        if h in reserved:
            raise InputError(file, 1, h, f"cannot keep this column: graphrec writes the property {h!r} itself "
                                         f"(reserved: {', '.join(reserved)}); map it or rename it")
        refuse_own_property(file, h, h)


def _read_nodes(file: Path, spec: NodeFile, where: str, nodes: NodeSet, rec: GraphRecords) -> None:
    header, rows = read_csv(file)
    roles: dict[str, str | None] = {"id": spec.id, "title": spec.title}
    roles.update({f"text[{i}]": c for i, c in enumerate(spec.text)})
    roles.update({f"entities.{e.column}": e.column for e in spec.entities})
    cols = _columns(file, header, where, roles, spec.keep_unknown, rec.notes, ("id", "title", "text"))
    for e in spec.entities:
        rec.rel_set(e.relationship, "Item", "Entity", file.name)
    for ln in rows:
        node_id = parse_id(ln, spec.id, cols.cell(ln, spec.id))
        if node_id in nodes.nodes:
            raise ln.error(spec.id, f"id {node_id!r} listed twice")
        props: dict[str, Any] = {}
        if spec.title is not None:
            props["title"] = cols.cell(ln, spec.title) or None
        if nodes.label == "Item":
            parts = [p for p in (props.get("title"), *(cols.cell(ln, c) for c in spec.text)) if p]
            props["text"] = ". ".join(str(p).rstrip(".") for p in parts) + "." if parts else None
        if spec.keep_unknown:
            props.update({h: cols.cell(ln, h) or None for h in cols.unknown})
        nodes.add(node_id, **props)
        for e in spec.entities:
            seen: set[str] = set()
            for value in (v.strip() for v in cols.cell(ln, e.column).split(e.separator)):
                if not value or value in e.skip or value in seen:
                    continue
                seen.add(value)
                eid = entity_id(e.kind, parse_id(ln, e.column, value))
                rec.node_set("Entity", file.name, KIND_LABELS.get(e.kind)).add(eid, name=value, kind=e.kind)
                rec.rel_set(e.relationship, "Item", "Entity", file.name).add(node_id, eid)


def _read_behaviours(file: Path, b: BehaviourFile, where: str, rec: GraphRecords, items: NodeSet,
                     users: NodeSet, items_file: str, users_file: str | None) -> None:
    header, rows = read_csv(file)
    roles = {"user": b.user, "item": b.item, "weight": b.weight, "timestamp": b.timestamp, "split": b.split,
             "tag": b.tag}
    cols = _columns(file, header, where, roles, b.keep_unknown, rec.notes, ("weight", "rating", "ts", "split"))
    rs = rec.rel_set(b.type, "User", "Item", file.name)
    if b.min_weight is not None:
        rec.min_weights[b.type] = b.min_weight
    tags: dict[tuple[str, str], tuple[list[str], int | None, str]] = {}
    n_rows = replaced = 0
    for ln in rows:
        n_rows += 1
        user, item = parse_id(ln, b.user, cols.cell(ln, b.user)), parse_id(ln, b.item, cols.cell(ln, b.item))
        if item not in items.nodes:
            raise ln.error(b.item, f"item {item!r} is not in {items_file}")
        if users_file is not None and user not in users.nodes:
            raise ln.error(b.user, f"user {user!r} is not in {users_file}")
        users.add(user)
        raw_ts = cols.cell(ln, b.timestamp)
        ts = parse_timestamp(ln, b.timestamp, raw_ts) if b.timestamp and raw_ts else None
        split = parse_split(ln, b.split, cols.cell(ln, b.split)) if b.split else "train"
        if b.tag is not None:
            values, latest, first_split = tags.setdefault((user, item), ([], None, split))
            if split != first_split:
                raise ln.error(b.split or "split", f"this (user, item) pair was {first_split!r} on an earlier row; "
                                                   f"the rows of one pair are merged and must share a split")
            values.append(parse_id(ln, b.tag, cols.cell(ln, b.tag)))
            if ts is not None and (latest is None or ts > latest):
                tags[(user, item)] = (values, ts, split)
            continue
        raw_w = cols.cell(ln, b.weight)
        weight = parse_float(ln, b.weight, raw_w) if b.weight and raw_w else None
        props: dict[str, Any] = {"weight": weight, "ts": ts, "split": split}
        if b.type == "RATED":
            props["rating"] = weight
        if b.keep_unknown:
            props.update({h: cols.cell(ln, h) or None for h in cols.unknown})
        if rs.props and set(rs.props) != set(props):
            raise ln.error(b.item, f"{b.type} rows from another file carry other properties ({', '.join(rs.props)}); "
                                   f"give this file its own type")
        if rs.add(user, item, **props) is not None:
            replaced += 1
    if b.tag is not None:
        for (user, item), (values, ts, split) in tags.items():
            rs.add(user, item, tags=values, count=len(values), ts=ts, split=split)
        rec.notes.append(f"{file.name}: {n_rows:,} tag applications kept as {len(tags):,} {b.type} "
                         f"relationships, one per (user, item): every tag in r.tags (file order, repeats kept), "
                         f"their number in r.count, the latest timestamp in r.ts")
        if b.entities:
            _tag_entities(file, {pair: values for pair, (values, _, _) in tags.items()}, rec)
    elif replaced:
        rec.notes.append(f"{file.name}: {replaced:,} of {n_rows:,} rows repeat a (user, item) pair already seen; "
                         f"one {b.type} relationship per pair, the last row wins")


def _tag_entities(file: Path, tags: Mapping[tuple[str, str], list[str]], rec: GraphRecords) -> None:
    """``entities = true``: each distinct tag an ``(:Entity:Tag {id: "tag:<text>", name, kind})``, linked
    ``(:Item)-[:HAS_TAG {count}]->(:Tag)`` (``count``: the users who gave the item that tag), as lastfm-2k's."""
    givers: dict[tuple[str, str], set[str]] = {}
    for (user, item), values in tags.items():
        for value in values:
            givers.setdefault((item, value), set()).add(user)
    has_tag = rec.rel_set("HAS_TAG", "Item", "Entity", file.name)
    names = {value for _, value in givers}
    for value in sorted(names):
        add_entity(rec, "tag", value, value, file.name)
    for (item, value), users in givers.items():
        has_tag.add(item, entity_id("tag", value), count=len(users))
    rec.notes.append(f"{file.name}: {len(names):,} distinct tags as (:Entity:Tag) nodes, linked to their items "
                     f"by {len(givers):,} HAS_TAG relationships (r.count: the users who gave that tag)")


def load_mapped_csv(folder: Path, mapping: CsvMapping, name: str | None = None) -> GraphRecords:
    """Parse and validate the files a mapping names, relative to ``folder`` (nothing is written).

    Args:
        folder: where the mapping's ``file`` entries are.
        mapping: from :func:`read_mapping`.
        name: dataset name (default: the mapping's ``name``, else ``csv:<folder name>``).

    Raises:
        InputError: a missing file, a mapped column missing from a header, or a bad row.
    """
    layout = f"the files named in {mapping.path}"
    rec = GraphRecords(name or mapping.name or f"csv:{folder.resolve().name}", files=[mapping.path])
    users = rec.node_set("User", mapping.users.file if mapping.users else "behaviours")
    items = rec.node_set("Item", mapping.items.file)
    if mapping.users is not None:
        users_file = require_file(folder / mapping.users.file, layout)
        rec.files.append(users_file)
        _read_nodes(users_file, mapping.users, "users", users, rec)
    items_file = require_file(folder / mapping.items.file, layout)
    rec.files.append(items_file)
    _read_nodes(items_file, mapping.items, "items", items, rec)
    for i, b in enumerate(mapping.behaviours):
        file = require_file(folder / b.file, layout)
        if file not in rec.files:
            rec.files.append(file)
        _read_behaviours(file, b, f"behaviours[{i}]", rec, items, users, items_file.name,
                         mapping.users.file if mapping.users else None)
    return rec
