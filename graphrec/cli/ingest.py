"""``graphrec load`` and ``graphrec stats``: put a dataset into the graph, count what is there."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from graphrec.cli.context import AppContext, pass_app, table
from graphrec.errors import ConfigError, DatabaseError, GraphRecError
from graphrec.ingest.datasets import DATASETS, LoadOptions
from graphrec.ingest.writer import LoadReport


@click.command("load")
@click.argument("dataset", type=click.Choice(DATASETS))
@click.option("--path", type=click.Path(path_type=Path, file_okay=False),
              help="Folder with the dataset's files (default: found under the data dir, or downloaded).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Rows per UNWIND transaction (default: the batch_size setting, 10000).")
@click.option("--split", type=click.Choice(["u1", "u2", "u3", "u4", "u5", "ua", "ub"]),
              help="movielens-100k: mark this standard split's .test ratings split='test' (default: none, all train).")
@click.option("--kg/--no-kg", default=False, show_default=True,
              help="lastfm-2k: join the KGCN music KG (from the data dir's kgcn-music-kg).")
@click.option("--kg-path", type=click.Path(path_type=Path, file_okay=False),
              help="lastfm-2k: KGCN folder (kg.txt, item_index2entity_id.txt); implies --kg "
                   "(default: <data dir>/kgcn-music-kg).")
@click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False),
              help="csv: a TOML file mapping your files' columns to graphrec's roles (ids, title, multi-valued "
                   "entity columns, behaviour type, weight, timestamp, tags), its files relative to --path or "
                   "else to the mapping's folder; see README 'Load your own CSV' (default: none, the generic "
                   "items.csv/interactions.csv layout).")
@click.option("--name", help="kgat/csv: dataset name recorded on the Dataset node (default: <format>:<folder>).")
@click.option("--bulk", is_flag=True,
              help="Offline import with neo4j-admin into an EMPTY database of the local server (stops and "
                   "restarts it).")
@click.option("--json", "as_json", is_flag=True, help="Print the load report as JSON.")
@pass_app
def load(app: AppContext, dataset: str, path: Path | None, batch_size: int | None, split: str | None, kg: bool,
         kg_path: Path | None, mapping: Path | None, name: str | None, bulk: bool, as_json: bool) -> None:
    """Load DATASET into Neo4j: validate every file first, then write (idempotent, resumable).

    DATASET is one of movielens-100k, movielens-1m, lastfm-2k, kgat, csv (kgat and csv need --path).

    Example: graphrec load movielens-100k --split u1

    Example: graphrec load csv --path ml-latest-small --mapping movielens.toml
    """
    from graphrec.db.schema import apply_schema
    from graphrec.ingest.datasets import load_dataset

    options = LoadOptions(path=path, split=split, kg=kg or kg_path is not None, kg_path=kg_path, name=name,
                          mapping=mapping)
    if bulk:
        report = bulk_load(app, dataset, options)
    else:
        driver = app.driver()
        apply_schema(driver)
        report = load_dataset(driver, dataset, options, app.settings.data_dir, app.settings.home,
                              batch_size=batch_size or app.settings.batch_size, progress=not app.quiet)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    for note in report.notes:
        if note.startswith("warning: "):
            app.echo(note, err=True)
        else:
            app.echo(f"note: {note}")
    rows = [{"kind": kind, "name": k, "count": v} for kind in ("nodes", "relationships")
            for k, v in report.counts[kind].items()]
    app.echo(table(rows, ["kind", "name", "count"]))
    if bulk:
        steps = ", ".join(f"{t.name} {t.seconds:.1f}s" for t in report.timings)
        app.echo(f"bulk-imported {report.dataset}: parse {report.parse_seconds:.1f}s, {steps}")
        return
    n_rows, r_rows = report.rows("nodes"), report.rows("relationships")
    n_s, r_s = report.seconds("nodes"), report.seconds("relationships")
    app.echo(f"loaded {report.dataset} (sha256 {report.source_sha256[:12]}…): parse {report.parse_seconds:.1f}s, "
             f"{n_rows} node rows in {n_s:.1f}s, {r_rows} relationship rows in {r_s:.1f}s "
             f"({r_rows / r_s if r_s else 0:,.0f}/s), batch size {report.batch_size}")


def bulk_load(app: AppContext, dataset: str, options: LoadOptions) -> LoadReport:
    """Validate ``dataset``, then import it offline with ``neo4j-admin database import full``.

    Only for the local server graphrec manages, and only into an empty database: Neo4j Community
    cannot take one database offline, so the server is stopped for the import and started again.

    Raises:
        ConfigError: not the local server.
        GraphRecError: the database is not empty.
        DatabaseError: the importer failed (its last line is shown).
    """
    from graphrec.cli.db import local_server
    from graphrec.db import load_query, read
    from graphrec.db.schema import apply_schema
    from graphrec.ingest.bulk import import_args, write_import_files
    from graphrec.ingest.datasets import load_params, read_dataset
    from graphrec.ingest.writer import SetTiming, finish_load, sources_sha256
    from graphrec.localdb.runtime import ensure_jars

    s = app.settings
    if not s.is_local:
        raise ConfigError(f"--bulk needs the local server graphrec manages (it is stopped for the offline import); "
                          f"{s.uri} is not it: load without --bulk")
    rec, parse_seconds = read_dataset(dataset, options, s.data_dir, s.home)
    n = int(read(app.driver(), load_query("ingest/count_all_nodes"))[0]["n"])
    if n:
        raise GraphRecError(f"--bulk replaces the whole database and it holds {n} nodes: empty it first "
                            f"(or load without --bulk)")
    timings = []
    s.home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=s.home, prefix="import-") as tmp:
        t0 = time.perf_counter()
        files = write_import_files(rec, Path(tmp))
        timings.append(SetTiming("import files", "bulk", files.rows, time.perf_counter() - t0, "csv"))
        app.close()
        server = local_server(app)
        t0 = time.perf_counter()
        server.stop()
        timings.append(SetTiming("server stop", "bulk", 0, time.perf_counter() - t0, "stop"))
        env = {**os.environ, "NEO4J_HOME": str(server.server_dir), "NEO4J_CONF": str(server.server_dir / "conf")}
        cmd = ["java", "-cp", f"{ensure_jars(quiet=True) / 'lib'}/*", "org.neo4j.cli.AdminTool",
               *import_args(files, s.database)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        timings.append(SetTiming("neo4j-admin import", "bulk", files.rows, time.perf_counter() - t0, "import"))
        t0 = time.perf_counter()
        server.start()
        timings.append(SetTiming("server start", "bulk", 0, time.perf_counter() - t0, "start"))
        if proc.returncode != 0:
            lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
            raise DatabaseError(f"neo4j-admin database import failed: {lines[-1] if lines else proc.returncode}")
    driver = app.driver()
    t0 = time.perf_counter()
    apply_schema(driver)
    sha = sources_sha256(rec.files)
    counts, notes = finish_load(driver, rec, sha, {**load_params(dataset, options), "bulk": True})
    timings.append(SetTiming("schema + counts", "bulk", 0, time.perf_counter() - t0, "schema"))
    report = LoadReport(rec.name, sha, 0, counts, rec.expected_counts(), timings, notes=notes)
    report.parse_seconds = parse_seconds
    return report


def _node_rows(nodes: dict[str, int], total: int) -> list[dict[str, Any]]:
    """One row per label; an entity kind's label (``Genre``: a second label on ``Entity`` nodes) is shown as
    a sub-count under ``Entity``, and the last row counts distinct nodes, so that ``Entity 19`` and ``Genre
    19`` do not read as 38 nodes."""
    from graphrec.ingest.entities import KIND_LABELS

    kinds = set(KIND_LABELS.values()) if "Entity" in nodes else set()
    rows: list[dict[str, Any]] = []
    for label, n in nodes.items():
        if label in kinds:
            continue
        rows.append({"label": label, "nodes": n})
        if label == "Entity":
            rows += [{"label": f"  of which :{k}", "nodes": c} for k, c in nodes.items() if k in kinds]
    return [*rows, {"label": "all nodes (each once)", "nodes": total}]


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def stats(app: AppContext, as_json: bool) -> None:
    """Counts per node label, per relationship type, and per split of behaviour relationships.

    Example: graphrec stats --json
    """
    from graphrec.ingest.stats import all_nodes, graph_stats

    result = graph_stats(app.driver())
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
        return
    click.echo(table(_node_rows(result["nodes"], all_nodes(app.driver())), ["label", "nodes"]))
    click.echo()
    click.echo(table([{"type": k, "relationships": v} for k, v in result["relationships"].items()],
                     ["type", "relationships"]))
    click.echo()
    click.echo(table([{"type": t, "split": s, "relationships": n} for t, d in result["splits"].items()
                      for s, n in d.items()], ["type", "split", "relationships"]))
    for d in result["datasets"]:
        if d.get("status") == "loading":
            click.echo(f"\ndataset {d['name']}: UNFINISHED load started {d['started_at']} (run it again to finish)")
        else:
            click.echo(f"\ndataset {d['name']}: loaded {d['loaded_at']}, source sha256 {d['source_sha256']}")
