"""KGAT/KGIN benchmark format adapter (amazon-book, last-fm, yelp2018 releases of the KGAT paper).

Files in the folder:

- ``train.txt``, ``test.txt`` (required): one line per user, ``user item item …`` (space-separated remap
  ids); test lines become ``split: 'test'``;
- ``kg_final.txt`` or ``kg_final.txt.zip`` (optional): ``head relation tail`` remap ids; without it
  the interactions alone are loaded, with a note saying so;
- ``user_list.txt``, ``item_list.txt``, ``entity_list.txt``, ``relation_list.txt`` (optional): a header
  line naming the columns, then ``org_id remap_id [freebase_id]``. ``org_id`` may contain spaces (15
  entity names of the official amazon-book release do) or be empty (one of them is): the columns after it
  are counted from the end of the line, as the header places them.

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

LAYOUT = ("kgat: a folder with train.txt and test.txt ('user item item ...'), optionally kg_final.txt or "
          "kg_final.txt.zip ('head relation tail'), user_list.txt, item_list.txt, entity_list.txt, relation_list.txt")


def _remap_list(path: Path) -> dict[int, list[str]]:
    """``remap_id`` → ``[org_id, remap_id, *columns after it]`` for the optional ``*_list.txt`` files.

    The header says where ``remap_id`` is counted from the end (``org_id remap_id freebase_id``: second
    to last; without ``remap_id`` in the header: last); everything before it is the ``org_id``, spaces
    included, and may be empty (a line `` 30181`` of the official amazon-book ``entity_list.txt``).
    """
    out: dict[int, list[str]] = {}
    if not path.is_file():
        return out
    after = 0
    for ln in read_lines(path, None, None):
        if ln.number == 1 and "remap_id" in ln.fields:
            after = len(ln.fields) - 1 - ln.fields.index("remap_id")
            continue
        if ln.number == 1:
            continue
        if len(ln.fields) < after + 1:   # an empty org_id is a valid row (amazon-book's entity_list.txt has one)
            raise ln.error("columns", f"expected at least {after + 1} fields ([org_id] remap_id"
                                      f"{' ...' if after else ''}) separated by whitespace, found {len(ln.fields)}")
        at = len(ln.fields) - 1 - after
        rid = parse_int(ln, "remap_id", ln.fields[at], lo=0)
        if rid in out:
            raise ln.error("remap_id", f"remap id {rid} listed twice")
        out[rid] = [" ".join(ln.fields[:at]), ln.fields[at], *ln.fields[at + 1:]]
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
    kg_file: Path | None = path / "kg_final.txt"
    if not (path / "kg_final.txt").is_file():
        kg_file = path / "kg_final.txt.zip" if (path / "kg_final.txt.zip").is_file() else None
    rec = GraphRecords(name, files=[train_file, test_file, *([kg_file] if kg_file else [])])
    lists = {}
    for kind in ("user", "item", "entity", "relation"):
        f = path / f"{kind}_list.txt"
        if f.is_file():
            rec.files.append(f)
        lists[kind] = _remap_list(f)

    parsed = {"train": _interactions(train_file), "test": _interactions(test_file)}
    n_items = len(lists["item"]) or 1 + max((i for rows in parsed.values() for _, _, its in rows for i in its),
                                            default=-1)
    n_entities = len(lists["entity"]) or None
    users = rec.node_set("User", "train.txt")
    items = rec.node_set("Item", "item_list.txt")
    for rid, user_fields in sorted(lists["user"].items()):
        users.add(str(rid), org_id=user_fields[0] or None)
    for rid in range(n_items):
        item_fields = lists["item"].get(rid)
        items.add(str(rid), org_id=(item_fields[0] or None) if item_fields else None,
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

    if kg_file is None:
        rec.notes.append(f"no kg_final.txt in {path}: loaded the interactions only, without knowledge-graph triples")
        return rec
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
                entities.add(f"kg:{eid}", name=org[0] if org and org[0] else str(eid), kind="kg")
                ends.append(("Entity", f"kg:{eid}"))
        rid = parse_int(ln, "relation", ln.fields[1], lo=0)
        if lists["relation"] and rid not in lists["relation"]:
            raise ln.error("relation", f"relation {rid} is not in relation_list.txt")
        raw = lists["relation"][rid][0] if lists["relation"] else f"r{rid}"
        add_triple(rec, ln, "relation", ends[0], raw, ends[1], kg_file.name)
    return rec
