"""KGAT/KGIN benchmark format adapter (amazon-book, last-fm, yelp2018 releases of the KGAT paper).

Files in the folder:

- ``train.txt``, ``test.txt`` (required): one line per user, ``user item item …`` (space-separated remap
  ids); test lines become ``split: 'test'``;
- ``kg_final.txt`` or ``kg_final.txt.zip`` (required): ``head relation tail`` remap ids;
- ``user_list.txt``, ``item_list.txt``, ``entity_list.txt``, ``relation_list.txt`` (optional): a header
  line, then ``org_id remap_id [freebase_id]``.

Items and entities share one id space: entity ``i`` < number of items *is* item ``i``. Graph produced:
``(:User {id: "<remap>", org_id})``, ``(:Item {id: "<remap>", org_id, freebase_id})``,
``(:Entity {id: "kg:<remap>", name: <org_id or remap>, kind: "kg"})`` for the other entities,
``(:User)-[:INTERACTED {split}]->(:Item)`` and one relationship per triple whose type comes from the
relation's name in ``relation_list.txt`` (else ``r<id>``), raw name kept in ``source``. The number of
items is ``item_list.txt``'s row count, else one more than the largest item id in train/test.
"""

from __future__ import annotations

from pathlib import Path

from graphrec.ingest.kg import add_triple
from graphrec.ingest.records import GraphRecords
from graphrec.ingest.validate import Line, parse_int, read_lines, require_file

LAYOUT = ("kgat: a folder with train.txt and test.txt ('user item item ...'), kg_final.txt or kg_final.txt.zip "
          "('head relation tail'), optionally user_list.txt, item_list.txt, entity_list.txt, relation_list.txt")


def _remap_list(path: Path, min_cols: int) -> dict[int, list[str]]:
    """``remap_id`` → the line's fields, for the optional ``*_list.txt`` files (header skipped)."""
    out: dict[int, list[str]] = {}
    if not path.is_file():
        return out
    for ln in read_lines(path, None, (min_cols, -1), header=True, names=("org_id", "remap_id")):
        rid = parse_int(ln, "remap_id", ln.fields[1], lo=0)
        if rid in out:
            raise ln.error("remap_id", f"remap id {rid} listed twice")
        out[rid] = ln.fields
    return out


def _interactions(path: Path) -> list[tuple[Line, int, list[int]]]:
    rows = []
    for ln in read_lines(path, None, (1, -1), names=("user", "items")):
        user = parse_int(ln, "user", ln.fields[0], lo=0)
        rows.append((ln, user, [parse_int(ln, f"item {k}", v, lo=0) for k, v in enumerate(ln.fields[1:], 1)]))
    return rows


def load_kgat(path: Path, name: str) -> GraphRecords:
    """Parse and validate a KGAT-format folder.

    Args:
        path: the folder.
        name: dataset name to record.

    Raises:
        InputError: a missing file or a bad row.
    """
    train_file = require_file(path / "train.txt", LAYOUT)
    test_file = require_file(path / "test.txt", LAYOUT)
    kg_file = path / "kg_final.txt"
    if not kg_file.is_file() and (path / "kg_final.txt.zip").is_file():
        kg_file = path / "kg_final.txt.zip"
    require_file(kg_file, LAYOUT)
    rec = GraphRecords(name, files=[train_file, test_file, kg_file])
    lists = {}
    for kind, cols in (("user", 2), ("item", 2), ("entity", 2), ("relation", 2)):
        f = path / f"{kind}_list.txt"
        if f.is_file():
            rec.files.append(f)
        lists[kind] = _remap_list(f, cols)

    parsed = {"train": _interactions(train_file), "test": _interactions(test_file)}
    n_items = len(lists["item"]) or 1 + max((i for rows in parsed.values() for _, _, its in rows for i in its),
                                            default=-1)
    n_entities = len(lists["entity"]) or None
    users = rec.node_set("User", "train.txt")
    items = rec.node_set("Item", "item_list.txt")
    for rid, user_fields in sorted(lists["user"].items()):
        users.add(str(rid), org_id=user_fields[0])
    for rid in range(n_items):
        item_fields = lists["item"].get(rid)
        items.add(str(rid), org_id=item_fields[0] if item_fields else None,
                  freebase_id=item_fields[2] if item_fields and len(item_fields) > 2 else None)
    inter = rec.rel_set("INTERACTED", "User", "Item", "train.txt")
    for split, rows in parsed.items():
        for ln, user, its in rows:
            if lists["user"] and user not in lists["user"]:
                raise ln.error("user", f"user {user} is not in user_list.txt")
            users.add(str(user))
            for k, item in enumerate(its, 1):
                if item >= n_items:
                    raise ln.error(f"item {k}", f"item {item} is not below the number of items ({n_items})")
                prev = inter.add(str(user), str(item), split=split)
                if prev is not None and inter.props["split"][prev] != split:
                    raise ln.error(f"item {k}", f"user {user} item {item} is in both train.txt and test.txt")

    entities = rec.node_set("Entity", kg_file.name)
    for ln in read_lines(kg_file, None, 3, names=("head", "relation", "tail")):
        ends = []
        for field, value in (("head", ln.fields[0]), ("tail", ln.fields[2])):
            eid = parse_int(ln, field, value, lo=0)
            if n_entities is not None and eid >= n_entities:
                raise ln.error(field, f"entity {eid} is not in entity_list.txt ({n_entities} entities)")
            if eid < n_items:
                ends.append(("Item", str(eid)))
            else:
                org = lists["entity"].get(eid)
                entities.add(f"kg:{eid}", name=org[0] if org else str(eid), kind="kg")
                ends.append(("Entity", f"kg:{eid}"))
        rid = parse_int(ln, "relation", ln.fields[1], lo=0)
        if lists["relation"] and rid not in lists["relation"]:
            raise ln.error("relation", f"relation {rid} is not in relation_list.txt")
        raw = lists["relation"][rid][0] if lists["relation"] else f"r{rid}"
        add_triple(rec, ln, "relation", ends[0], raw, ends[1], kg_file.name)
    return rec
