"""Bulk path: validated :class:`GraphRecords` → CSV files and arguments for Neo4j's offline importer.

``neo4j-admin database import full`` builds a new store from CSV files without transactions, far faster
than Bolt, but only into a database that is **offline**: Neo4j Community cannot stop one database, so
the whole server must be stopped, and the import replaces everything in the database. graphrec therefore
offers it only for the local server it manages (``graphrec load … --bulk``); the CLI stops the server,
runs ``org.neo4j.cli.AdminTool`` from the server's own classpath with :func:`import_args`, starts it
again and applies the schema. This module only writes the files (it imports nothing from the server).

Files: one node file per node set (header ``id:ID(<label>)`` plus typed properties; ``User``,
``Item`` and ``Entity`` are separate id spaces, so user "1" and item "1" stay apart) and one
relationship file per relationship set (``:START_ID(<label>)``, ``:END_ID(<label>)``, properties).
Property types are taken from the values (``long``, ``double``, ``boolean``, ``string``); ``None``
is an empty field (no property).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphrec.ingest.records import GraphRecords

_KINDS = ((bool, "boolean"), (int, "long"), (float, "double"), (str, "string"))


@dataclass
class ImportFiles:
    """What :func:`write_import_files` produced: ``(labels, file)`` and ``(type, file)`` pairs."""

    nodes: list[tuple[str, Path]] = field(default_factory=list)
    relationships: list[tuple[str, Path]] = field(default_factory=list)
    rows: int = 0


def _column_type(values: list[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "string"
    if kinds <= {int, float} and float in kinds:
        return "double"
    for py, neo in _KINDS:
        if kinds == {py}:
            return neo
    return "string"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_import_files(rec: GraphRecords, folder: Path) -> ImportFiles:
    """Write the CSV files ``neo4j-admin database import`` reads, one per node / relationship set."""
    folder.mkdir(parents=True, exist_ok=True)
    out = ImportFiles()
    for k, ns in enumerate(rec.nodes):
        names = sorted({name for props in ns.nodes.values() for name in props})
        types = {n: _column_type([p.get(n) for p in ns.nodes.values()]) for n in names}
        path = folder / f"nodes_{k}_{ns.label}{'_' + ns.kind_label if ns.kind_label else ''}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([f"id:ID({ns.label})", *(f"{n}:{types[n]}" for n in names)])
            for node_id, props in ns.nodes.items():
                w.writerow([node_id, *(_cell(props.get(n)) for n in names)])
        labels = ns.label + (f":{ns.kind_label}" if ns.kind_label else "")
        out.nodes.append((labels, path))
        out.rows += len(ns)
    for k, rs in enumerate(rec.rels):
        names = list(rs.props)
        types = {n: _column_type(rs.props[n]) for n in names}
        path = folder / f"rels_{k}_{rs.type}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([f":START_ID({rs.src_label})", f":END_ID({rs.dst_label})",
                        *(f"{n}:{types[n]}" for n in names)])
            cols = [rs.props[n] for n in names]
            for i, (s, d) in enumerate(zip(rs.src, rs.dst, strict=True)):
                w.writerow([s, d, *(_cell(c[i]) for c in cols)])
        out.relationships.append((rs.type, path))
        out.rows += len(rs)
    return out


def import_args(files: ImportFiles, database: str = "neo4j") -> list[str]:
    """Arguments after ``org.neo4j.cli.AdminTool`` for a full offline import that replaces ``database``."""
    args = ["database", "import", "full", database, "--overwrite-destination=true", "--multiline-fields=true",
            "--skip-bad-relationships=false", "--skip-duplicate-nodes=false"]
    args += [f"--nodes={labels}={path}" for labels, path in files.nodes]
    args += [f"--relationships={rtype}={path}" for rtype, path in files.relationships]
    return args
