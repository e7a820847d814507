"""``graphrec load`` and ``graphrec stats``: put a dataset into the graph, count what is there."""

from __future__ import annotations

import json
from pathlib import Path

import click

from graphrec.cli.context import AppContext, pass_app, table
from graphrec.ingest.registry import DATASETS


@click.command("load")
@click.argument("dataset", type=click.Choice(DATASETS))
@click.option("--path", type=click.Path(path_type=Path, file_okay=False),
              help="Folder with the dataset's files (default: found under the data dir, or downloaded).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Rows per UNWIND transaction (default: the batch_size setting, 10000).")
@click.option("--split", type=click.Choice(["u1", "u2", "u3", "u4", "u5", "ua", "ub"]),
              help="movielens-100k: mark this standard split's .test ratings split='test'.")
@click.option("--kg/--no-kg", default=False, show_default=True,
              help="lastfm-2k: join the KGCN music KG (from the data dir's kgcn-music-kg).")
@click.option("--kg-path", type=click.Path(path_type=Path, file_okay=False),
              help="lastfm-2k: KGCN folder (kg.txt, item_index2entity_id.txt); implies --kg.")
@click.option("--name", help="kgat/csv: dataset name recorded on the Dataset node (default: <format>:<folder>).")
@click.option("--json", "as_json", is_flag=True, help="Print the load report as JSON.")
@pass_app
def load(app: AppContext, dataset: str, path: Path | None, batch_size: int | None, split: str | None, kg: bool,
         kg_path: Path | None, name: str | None, as_json: bool) -> None:
    """Load DATASET into Neo4j: validate every file first, then write (idempotent, resumable).

    DATASET is one of movielens-100k, movielens-1m, lastfm-2k, kgat, csv (kgat and csv need --path).

    Example: graphrec load movielens-100k --split u1
    """
    from graphrec.db.schema import apply_schema
    from graphrec.ingest.registry import LoadOptions, load_dataset

    options = LoadOptions(path=path, split=split, kg=kg or kg_path is not None, kg_path=kg_path, name=name)
    driver = app.driver()
    apply_schema(driver)
    report = load_dataset(driver, dataset, options, app.settings.data_dir, app.settings.home,
                          batch_size=batch_size or app.settings.batch_size, progress=not app.quiet)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    for note in report.notes:
        app.echo(f"note: {note}")
    rows = [{"kind": kind, "name": k, "count": v} for kind in ("nodes", "relationships")
            for k, v in report.counts[kind].items()]
    app.echo(table(rows, ["kind", "name", "count"]))
    n_rows, r_rows = report.rows("nodes"), report.rows("relationships")
    n_s, r_s = report.seconds("nodes"), report.seconds("relationships")
    app.echo(f"loaded {report.dataset} (sha256 {report.source_sha256[:12]}…): parse {report.parse_seconds:.1f}s, "
             f"{n_rows} node rows in {n_s:.1f}s, {r_rows} relationship rows in {r_s:.1f}s "
             f"({r_rows / r_s if r_s else 0:,.0f}/s), batch size {report.batch_size}")


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def stats(app: AppContext, as_json: bool) -> None:
    """Counts per node label, per relationship type, and per split of behaviour relationships.

    Example: graphrec stats --json
    """
    from graphrec.ingest.stats import graph_stats

    result = graph_stats(app.driver())
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
        return
    click.echo(table([{"label": k, "nodes": v} for k, v in result["nodes"].items()], ["label", "nodes"]))
    click.echo()
    click.echo(table([{"type": k, "relationships": v} for k, v in result["relationships"].items()],
                     ["type", "relationships"]))
    click.echo()
    click.echo(table([{"type": t, "split": s, "relationships": n} for t, d in result["splits"].items()
                      for s, n in d.items()], ["type", "split", "relationships"]))
    for d in result["datasets"]:
        click.echo(f"\ndataset {d['name']}: loaded {d['loaded_at']}, source sha256 {d['source_sha256']}")
