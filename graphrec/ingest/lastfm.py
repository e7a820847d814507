"""HetRec 2011 Last.fm 2K adapter, optionally joined with the KGCN music knowledge graph.

Graph produced:

- ``(:User {id})`` for every user of any file (1,892);
- ``(:Item {id, title, name, text, url, picture_url})`` per artist of ``artists.dat`` (17,632),
  ``text`` = the artist name;
- ``(:User)-[:LISTENED {weight: float, split: 'train'}]->(:Item)`` from ``user_artists.dat`` (92,834);
- ``(:Entity:Tag {id: "tag:<tagID>", name})`` per tag of ``tags.dat`` (11,946, read as Latin-1);
  ``(:User)-[:TAGGED {tag: "tag:<tagID>", ts, split: 'train'}]->(:Item)`` per assignment of
  ``user_taggedartists.dat`` (``ts`` = midnight UTC of its day/month/year) and
  ``(:Item)-[:HAS_TAG {count}]->(:Entity:Tag)`` per distinct (artist, tag), ``count`` = users who gave it.
  The published file has 1,538 assignments on 390 artist ids that ``artists.dat`` lacks; those rows are
  skipped (the load says how many) rather than inventing nameless artists;
- ``(:User)-[:FRIEND]->(:User)``: the file lists each friendship in both directions (25,434 rows); it is
  stored **once per pair** (12,717), from the numerically smaller user id to the larger. Treat FRIEND as
  undirected: match it with ``(a)-[:FRIEND]-(b)``.

With the KGCN KG (``kg.txt``, ``item_index2entity_id.txt``): KG entities that are artists are those
``Item`` nodes; every other entity is ``(:Entity {id: "kg:<entity id>", name: "<entity id>", kind: "kg"})``;
each triple becomes ``(:Item|Entity)-[:MUSIC_ARTIST_ORIGIN {source: "music.artist.origin"}]->(:Entity|Item)``
(type from :func:`graphrec.ingest.kg.relation_type`).
"""

from __future__ import annotations

from pathlib import Path

from graphrec.ingest.kg import add_triple
from graphrec.ingest.records import GraphRecords, NodeSet
from graphrec.ingest.validate import date_timestamp, parse_id, parse_int, read_lines, require_file

LAYOUT = ("lastfm-2k: a folder with artists.dat, tags.dat, user_artists.dat, user_friends.dat, "
          "user_taggedartists.dat (tab-separated, one header row), as in hetrec2011-lastfm-2k.zip")
KGCN_LAYOUT = ("kgcn music KG: a folder with kg.txt (head<TAB>relation<TAB>tail) and item_index2entity_id.txt "
               "(artistID<TAB>entity id), as in KGCN's data/music")
FILES = ("artists.dat", "tags.dat", "user_artists.dat", "user_friends.dat", "user_taggedartists.dat")


def _order(a: str, b: str) -> tuple[str, str]:
    """A friendship's stored direction: smaller id first (numerically when both are integers)."""
    if a.isdigit() and b.isdigit():
        return (a, b) if int(a) <= int(b) else (b, a)
    return (a, b) if a <= b else (b, a)


def load_lastfm(path: Path, kg_path: Path | None = None) -> GraphRecords:
    """Parse and validate Last.fm 2K in ``path`` (and the KGCN KG in ``kg_path`` when given).

    Raises:
        InputError: a missing file or a bad row.
    """
    f = {n: require_file(path / n, LAYOUT) for n in FILES}
    rec = GraphRecords("lastfm-2k", files=list(f.values()))
    users = rec.node_set("User", "user_artists.dat")
    items = rec.node_set("Item", "artists.dat")
    _artists(items, f["artists.dat"])
    tags = _tags(rec, f["tags.dat"])
    _listens(rec, f["user_artists.dat"], users, items)
    _friends(rec, f["user_friends.dat"], users)
    _tag_assignments(rec, f["user_taggedartists.dat"], users, items, tags)
    if kg_path is not None:
        add_kgcn(rec, kg_path)
    return rec


def _artists(items: NodeSet, file: Path) -> None:
    """``artists.dat``: the items."""
    for ln in read_lines(file, "\t", 4, header=True, names=("id", "name", "url", "pictureURL")):
        aid = parse_id(ln, "id", ln.fields[0])
        if aid in items.nodes:
            raise ln.error("id", f"artist {aid} listed twice")
        name = ln.fields[1].strip()
        items.add(aid, title=name, name=name, text=name, url=ln.fields[2].strip() or None,
                  picture_url=ln.fields[3].strip() or None)


def _tags(rec: GraphRecords, file: Path) -> NodeSet:
    """``tags.dat``: the tag entities."""
    tags = rec.node_set("Entity", "tags.dat", "Tag")
    for ln in read_lines(file, "\t", 2, encoding="latin-1", header=True, names=("tagID", "tagValue")):
        tid = f"tag:{parse_id(ln, 'tagID', ln.fields[0])}"
        if tid in tags.nodes:
            raise ln.error("tagID", f"tag {tid} listed twice")
        tags.add(tid, name=ln.fields[1].strip(), kind="tag")
    return tags


def _listens(rec: GraphRecords, file: Path, users: NodeSet, items: NodeSet) -> None:
    """``user_artists.dat``: LISTENED with its play count as weight (every listen a training pair)."""
    listened = rec.rel_set("LISTENED", "User", "Item", "user_artists.dat")
    for ln in read_lines(file, "\t", 3, header=True, names=("userID", "artistID", "weight")):
        uid, aid = parse_id(ln, "userID", ln.fields[0]), parse_id(ln, "artistID", ln.fields[1])
        if aid not in items.nodes:
            raise ln.error("artistID", f"artist {aid} is not in artists.dat")
        weight = float(parse_int(ln, "weight", ln.fields[2], lo=0))
        users.add(uid)
        if listened.add(uid, aid, weight=weight, split="train") is not None:
            raise ln.error("artistID", f"user {uid} listed artist {aid} a second time")


def _friends(rec: GraphRecords, file: Path, users: NodeSet) -> None:
    """``user_friends.dat``: FRIEND, stored once per pair."""
    friend = rec.rel_set("FRIEND", "User", "User", "user_friends.dat")
    for ln in read_lines(file, "\t", 2, header=True, names=("userID", "friendID")):
        a, b = parse_id(ln, "userID", ln.fields[0]), parse_id(ln, "friendID", ln.fields[1])
        if a == b:
            raise ln.error("friendID", f"user {a} is listed as their own friend")
        users.add(a)
        users.add(b)
        friend.add(*_order(a, b))


def _tag_assignments(rec: GraphRecords, file: Path, users: NodeSet, items: NodeSet, tags: NodeSet) -> None:
    """``user_taggedartists.dat``: TAGGED, and HAS_TAG per (artist, tag) with how many users gave it."""
    tagged = rec.rel_set("TAGGED", "User", "Item", "user_taggedartists.dat", key="tag")
    has_tag_counts: dict[tuple[str, str], int] = {}
    skipped = 0
    for ln in read_lines(file, "\t", 6, header=True,
                         names=("userID", "artistID", "tagID", "day", "month", "year")):
        uid, aid = parse_id(ln, "userID", ln.fields[0]), parse_id(ln, "artistID", ln.fields[1])
        tid = f"tag:{parse_id(ln, 'tagID', ln.fields[2])}"
        if tid not in tags.nodes:
            raise ln.error("tagID", f"tag {tid} is not in tags.dat")
        day = parse_int(ln, "day", ln.fields[3], lo=1, hi=31)
        month = parse_int(ln, "month", ln.fields[4], lo=1, hi=12)
        year = parse_int(ln, "year", ln.fields[5], lo=1900, hi=2100)
        ts = date_timestamp(ln, "day", year, month, day)
        users.add(uid)
        if aid not in items.nodes:
            skipped += 1
            continue
        tagged.add(uid, aid, tag=tid, ts=ts, split="train")
        has_tag_counts[(aid, tid)] = has_tag_counts.get((aid, tid), 0) + 1
    has_tag = rec.rel_set("HAS_TAG", "Item", "Entity", "user_taggedartists.dat")
    for (aid, tid), n in has_tag_counts.items():
        has_tag.add(aid, tid, count=n)
    if skipped:
        rec.notes.append(f"user_taggedartists.dat: {skipped} tag assignments on artists missing from artists.dat "
                         f"skipped")


def add_kgcn(rec: GraphRecords, kg_path: Path) -> None:
    """Join the KGCN music KG onto parsed Last.fm records (artists ↔ KG entities, triples kept).

    Raises:
        InputError: a missing file, a bad row, or an artist the Last.fm data does not have.
    """
    mapping_file = require_file(kg_path / "item_index2entity_id.txt", KGCN_LAYOUT)
    kg_file = require_file(kg_path / "kg.txt", KGCN_LAYOUT)
    rec.files += [mapping_file, kg_file]
    items = rec.node_set("Item", "artists.dat")
    entity_item: dict[str, str] = {}
    for ln in read_lines(mapping_file, "\t", 2, names=("artistID", "entity id")):
        aid = parse_id(ln, "artistID", ln.fields[0])
        eid = str(parse_int(ln, "entity id", ln.fields[1], lo=0))
        if aid not in items.nodes:
            raise ln.error("artistID", f"artist {aid} is not in the Last.fm artists.dat")
        if eid in entity_item:
            raise ln.error("entity id", f"entity {eid} is mapped to artists {entity_item[eid]} and {aid}")
        entity_item[eid] = aid
    entities = rec.node_set("Entity", "kg.txt")
    n = 0
    for ln in read_lines(kg_file, "\t", 3, names=("head", "relation", "tail")):
        ends = []
        for field, value in (("head", ln.fields[0]), ("tail", ln.fields[2])):
            eid = str(parse_int(ln, field, value, lo=0))
            if eid in entity_item:
                ends.append(("Item", entity_item[eid]))
            else:
                entities.add(f"kg:{eid}", name=eid, kind="kg")
                ends.append(("Entity", f"kg:{eid}"))
        add_triple(rec, ln, "relation", ends[0], ln.fields[1].strip(), ends[1], "kg.txt")
        n += 1
    rec.notes.append(f"KGCN music KG joined: {n} triples, {len(entities)} non-artist entities, "
                     f"{len(entity_item)} artists linked")
