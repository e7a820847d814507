"""Write validated :class:`GraphRecords` to Neo4j: nodes first, then relationships, then the Dataset node.

A load holds the database's writer lease (:mod:`graphrec.db.lease`) from its first check to its last
write, so a second load (or publish, prune) started meanwhile fails at once with one line instead
of interleaving with it.

Every write is an ``UNWIND $rows`` batch of list rows (``[id, props]``, ``[start, end, props]``: less
to encode than maps), one transaction per batch, keyed by ``id``:

- nodes are ``MERGE``-d on their label's unique ``id``;
- relationships MATCH both ends on their unique ``id``. A relationship type that had **no**
  relationship in the database when the load began is written with ``CREATE`` (the records are
  de-duplicated in memory, so every row is new); any other type is ``MERGE``-d on (start, type, end[, key]).
  A load killed at any point therefore resumes exactly: the re-run finds the type non-empty and merges.
  "Empty" is decided under the lease, so no other graphrec writer can add to the type meanwhile.

Before the first write ``(:Dataset {name, status: 'loading'})`` is merged; after the writes the
database counts are checked against the records (a relationship whose end is missing would silently
not be created) and the node gets ``status: 'done'``, ``source_sha256``, ``loaded_at`` and ``counts``.
A database holds one dataset: another dataset's node, finished or not, refuses the load; an unfinished
load of the same dataset is resumed by running it again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neo4j import Driver
from tqdm import tqdm

from graphrec.db import load_query, read, render, write, write_batches
from graphrec.db.lease import WRITER, default_owner, lease
from graphrec.errors import DatabaseError, GraphRecError, InputError
from graphrec.ingest.records import GraphRecords, NodeSet, RelSet


@dataclass
class SetTiming:
    """How one node or relationship set was written."""

    name: str
    kind: str
    rows: int
    seconds: float
    mode: str

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class LoadReport:
    """What a load did: counts in the database afterwards and where the time went."""

    dataset: str
    source_sha256: str
    batch_size: int
    counts: dict[str, dict[str, int]]
    expected: dict[str, dict[str, int]]
    timings: list[SetTiming] = field(default_factory=list)
    parse_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def seconds(self, kind: str) -> float:
        return sum(t.seconds for t in self.timings if t.kind == kind)

    def rows(self, kind: str) -> int:
        return sum(t.rows for t in self.timings if t.kind == kind)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"dataset": self.dataset, "source_sha256": self.source_sha256, "batch_size": self.batch_size,
                "counts": self.counts, "parse_seconds": round(self.parse_seconds, 3),
                "write": [{"set": t.name, "kind": t.kind, "rows": t.rows, "mode": t.mode,
                           "seconds": round(t.seconds, 3)} for t in self.timings],
                "notes": self.notes}


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sources_sha256(files: Iterable[Path]) -> str:
    """One digest for a dataset: sha256 of the sorted ``"<sha256>  <file name>"`` lines of its files."""
    lines = sorted(f"{file_sha256(p)}  {p.name}\n" for p in files)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def recorded_datasets(driver: Driver) -> list[dict[str, Any]]:
    """The ``(:Dataset)`` nodes in the database."""
    return [r.data() for r in read(driver, load_query("ingest/datasets"))]


def check_finished(driver: Driver, doing: str, allow: bool = False, flag: str = "--allow-unfinished") -> str | None:
    """Refuse to ``doing`` (train, evaluate, publish) while a load is unfinished (its ``Dataset`` still
    ``loading``: stopped or killed half-way, what ``graphrec stats`` calls an UNFINISHED load).

    Returns:
        With ``allow``, the warning to print when a load is unfinished; else ``None``. Both name ``flag``,
        what lets the caller through.

    Raises:
        GraphRecError: a load is unfinished and not ``allow``.
    """
    loading = [d for d in recorded_datasets(driver) if d.get("status") == "loading"]
    if not loading:
        return None
    what = (f"the database holds an unfinished load of dataset {loading[0]['name']!r} (started "
            f"{loading[0].get('started_at')}, then stopped or killed)")
    if allow:
        return f"warning: {what}: {doing} anyway on the partial graph ({flag})"
    raise GraphRecError(f"{what}: refusing to {doing} on a partial graph; run that load again to finish it, "
                        f"or pass {flag}")


def existing_types(driver: Driver) -> set[str]:
    """Relationship types the database knows (asking for a count of an unknown type draws a warning)."""
    return {r["type"] for r in read(driver, load_query("ingest/relationship_types"))}


def count_relationships(driver: Driver, rel_type: str) -> int:
    """Relationships of ``rel_type`` (count store)."""
    return int(read(driver, render("ingest/count_rels", type=rel_type))[0]["n"])


def count_nodes(driver: Driver, label: str) -> int:
    """Nodes with ``label`` (count store)."""
    return int(read(driver, render("ingest/count_nodes", label=label))[0]["n"])


def _bar(desc: str, total: int, progress: bool) -> tqdm[Any]:
    return tqdm(total=total, desc=desc, unit="rows", disable=not progress, leave=True, dynamic_ncols=True)


def _node_query(ns: NodeSet) -> str:
    if ns.kind_label is None:
        return render("ingest/merge_nodes", label=ns.label)
    return render("ingest/merge_kind_nodes", node=ns.label, label=ns.kind_label)


def _rel_query(rs: RelSet, create: bool) -> str:
    if create:
        name = "ingest/create_rels"
    else:
        name = {None: "ingest/merge_rels", "tag": "ingest/merge_rels_by_tag"}[rs.key]
    return render(name, src=rs.src_label, dst=rs.dst_label, type=rs.type)


def _write_set(driver: Driver, query: str, rows: Iterable[list[Any]], total: int, desc: str, batch_size: int,
               progress: bool, check: Callable[[], None] = lambda: None) -> float:
    """Run ``query`` once per batch of ``batch_size`` list rows (each batch its own transaction);
    ``check()`` runs before each batch (it raises when the writer lease was lost)."""
    t0 = time.perf_counter()
    with _bar(desc, total, progress) as bar:
        write_batches(driver, query, rows, batch_size, on_batch=bar.update, before=check)
    return time.perf_counter() - t0


def _write_kg(driver: Driver, sets: list[RelSet], fresh: set[str], batch_size: int,
              progress: bool, check: Callable[[], None]) -> list[SetTiming]:
    """Write KG triples of many types with one query per (start label, end label, create or merge).

    A KG has dozens of relation types with few triples each; one query per type would spend most of
    the time planning. The type travels in the row as a dynamic type (``$(row[3])``); it is still only
    a sanitised name, checked by :class:`RelSet`.
    """
    groups: dict[tuple[str, str, bool], list[RelSet]] = {}
    for rs in sets:
        groups.setdefault((rs.src_label, rs.dst_label, rs.type in fresh), []).append(rs)
    timings = []
    for (src, dst, create), group in groups.items():
        rows = ([*row, rs.type] for rs in group for row in rs.rows())
        total = sum(len(rs) for rs in group)
        query = render("ingest/create_kg_rels" if create else "ingest/merge_kg_rels", src=src, dst=dst)
        desc = f"{group[0].source} → (:{src})-[{len(group)} KG types]->(:{dst})"
        secs = _write_set(driver, query, rows, total, desc, batch_size, progress, check)
        timings.append(SetTiming(f"{src}-KG[{len(group)} types]->{dst}", "relationships", total, secs,
                                 "create" if create else "merge"))
    return timings


def check_dataset(driver: Driver, name: str) -> None:
    """Refuse to mix datasets: one dataset per database, finished or not.

    Raises:
        GraphRecError: the database already records a load of another dataset.
    """
    others = [d for d in recorded_datasets(driver) if d["name"] != name]
    if not others:
        return
    other = others[0]
    if other.get("status") == "loading":
        raise GraphRecError(f"the database holds an unfinished load of dataset {other['name']!r} (started "
                            f"{other.get('started_at')}, then stopped or killed): run that load again to finish it, "
                            f"or empty the database, before loading {name!r}")
    raise GraphRecError(f"the database already holds dataset {other['name']!r}; graphrec keeps one dataset per "
                        f"database: load {name!r} into another database (--database) or empty this one")


def start_dataset(driver: Driver, rec: GraphRecords) -> None:
    """Record ``(:Dataset {name, status: 'loading'})`` before the first write (a finished one is reopened)."""
    write(driver, load_query("ingest/start_dataset"), {"name": rec.name})


def finish_load(driver: Driver, rec: GraphRecords, sha: str,
                params: Mapping[str, Any] | None = None) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Check the database counts against the records, then merge the ``(:Dataset)`` node.

    Returns:
        The counts in the database and notes for the user.

    Raises:
        DatabaseError: fewer nodes or relationships than the records hold.
    """
    expected = rec.expected_counts()
    counts = {"nodes": {label: count_nodes(driver, label) for label in expected["nodes"]},
              "relationships": {t: count_relationships(driver, t) for t in expected["relationships"]}}
    for kind in ("nodes", "relationships"):
        for name, want in expected[kind].items():
            if counts[kind][name] < want:
                raise DatabaseError(f"after the load the database has {counts[kind][name]} {name} {kind}, "
                                    f"expected at least {want}: some writes did not land")
    notes = list(rec.notes)
    for name, want in expected["relationships"].items():
        if counts["relationships"][name] > want:
            notes.append(f"the database has {counts['relationships'][name] - want} more {name} relationships "
                         f"than this load wrote (from an earlier, different load?)")
    write(driver, load_query("ingest/record_dataset"),
          {"name": rec.name, "source_sha256": sha, "counts": json.dumps(counts, sort_keys=True),
           "files": sorted(p.name for p in rec.files), "params": json.dumps(_params(rec, params), sort_keys=True)})
    return counts, notes


def _params(rec: GraphRecords, params: Mapping[str, Any] | None) -> dict[str, Any]:
    out = dict(params or {})
    if rec.min_weights:
        out["min_weights"] = dict(rec.min_weights)
    return out


def write_records(driver: Driver, rec: GraphRecords, batch_size: int = 10_000, progress: bool = True,
                  params: Mapping[str, Any] | None = None) -> LoadReport:
    """Write a validated dataset and record its ``(:Dataset)`` node.

    Args:
        driver: an open driver (schema applied).
        rec: the parsed, validated dataset.
        batch_size: rows per ``UNWIND`` transaction (default: 10000).
        progress: show a tqdm bar per node/relationship set on stderr (default: yes).
        params: load options recorded on the Dataset node (``split``, ``kg``…).

    Raises:
        InputError: the dataset has no rows at all (e.g. header-only CSV files).
        GraphRecError: the database holds another dataset.
        LeaseError: another graphrec writer is using the database.
        DatabaseError: Neo4j failed, or fewer nodes/relationships landed than were written.
    """
    if rec.node_count() == 0:
        raise InputError(rec.files[0] if rec.files else rec.name, None, "rows",
                         "no data rows in any file: nothing to load")
    sha = sources_sha256(rec.files)
    with lease(driver, WRITER, owner=default_owner(f"graphrec load {rec.name}")) as held:
        check_dataset(driver, rec.name)
        start_dataset(driver, rec)
        existing = existing_types(driver)
        fresh = {t for t in {rs.type for rs in rec.rels}
                 if t not in existing or count_relationships(driver, t) == 0}
        timings: list[SetTiming] = []
        for ns in rec.nodes:
            label = f"{ns.label}:{ns.kind_label}" if ns.kind_label else ns.label
            secs = _write_set(driver, _node_query(ns), ns.rows(), len(ns), f"{ns.source} → :{label}", batch_size,
                              progress, held.check)
            timings.append(SetTiming(label, "nodes", len(ns), secs, "merge"))
        for rs in rec.rels:
            if rs.key == "source":
                continue
            create = rs.type in fresh
            desc = f"{rs.source} → (:{rs.src_label})-[:{rs.type}]->(:{rs.dst_label})"
            secs = _write_set(driver, _rel_query(rs, create), rs.rows(), len(rs), desc, batch_size, progress,
                              held.check)
            timings.append(SetTiming(f"{rs.src_label}-{rs.type}->{rs.dst_label}", "relationships", len(rs), secs,
                                     "create" if create else "merge"))
        timings += _write_kg(driver, [rs for rs in rec.rels if rs.key == "source"], fresh, batch_size, progress,
                             held.check)
        held.check()
        counts, notes = finish_load(driver, rec, sha, params)
    return LoadReport(rec.name, sha, batch_size, counts, rec.expected_counts(), timings, notes=notes)
