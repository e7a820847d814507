"""Counts of what is in the graph: nodes per label, relationships per type, behaviours per split.

Label and type counts come from Neo4j's count store (constant time); per-split counts scan the
relationships that carry a ``split``. Labels or types outside graphrec's allowlist/sanitiser are
counted by a scan.
"""

from __future__ import annotations

from typing import Any

from neo4j import Driver

from graphrec.db import load_query, read
from graphrec.db.labels import is_allowed
from graphrec.ingest.writer import count_nodes, count_relationships, recorded_datasets


def graph_stats(driver: Driver) -> dict[str, Any]:
    """``{"nodes": {label: n}, "relationships": {type: n}, "splits": {type: {split: n}}, "datasets": [...]}``."""
    labels = [r["label"] for r in read(driver, load_query("ingest/labels"))]
    types = [r["type"] for r in read(driver, load_query("ingest/relationship_types"))]
    nodes = {label: _count(driver, label, is_node=True) for label in labels}
    rels = {t: _count(driver, t, is_node=False) for t in types}
    splits: dict[str, dict[str, int]] = {}
    for r in read(driver, load_query("ingest/split_counts")):
        splits.setdefault(r["type"], {})[str(r["split"])] = int(r["n"])
    datasets = [{k: v for k, v in d.items() if k != "counts"} for d in recorded_datasets(driver)]
    return {"nodes": {k: v for k, v in nodes.items() if v},
            "relationships": {k: v for k, v in rels.items() if v},
            "splits": splits, "datasets": datasets}


def _count(driver: Driver, name: str, is_node: bool) -> int:
    if is_allowed(name):
        return count_nodes(driver, name) if is_node else count_relationships(driver, name)
    query = load_query("ingest/count_nodes_by_name" if is_node else "ingest/count_rels_by_name")
    return int(read(driver, query, {"name": name})[0]["n"])


def all_nodes(driver: Driver) -> int:
    """Every node in the database, each counted once (count store)."""
    return int(read(driver, load_query("ingest/count_all_nodes"))[0]["n"])
