"""``graphrec runs list|activate|prune``: the model runs published into the graph."""

from __future__ import annotations

import json
from typing import Any

import click

from graphrec.cli.context import AppContext, pass_app, table


@click.group("runs")
def runs_group() -> None:
    """Model runs: list them, switch readers to one atomically, prune old ones.

    Example: graphrec runs list && graphrec runs activate lightgcn-20250101T120000-ab12cd
    """


def flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"test": {"recall@20": 0.2}}`` → ``{"test.recall@20": 0.2}``."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@runs_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """Every model run, newest first; `*` marks the active one.

    Example: graphrec runs list --json
    """
    from graphrec.writeback import list_runs

    runs = list_runs(app.driver())
    if as_json:
        click.echo(json.dumps([{"id": r.id, "model": r.model, "status": r.status, "active": r.active,
                                "created": r.created, "dim": r.dim, "k": r.k,
                                "train_pairs": r.props.get("train_pairs"), "params": r.params,
                                "metrics": r.metrics, "counts": r.counts} for r in runs], indent=2))
        return
    rows = [{"": "*" if r.active else "", "id": r.id, "model": r.model, "status": r.status,
             "created": r.created[:19], "dim": r.dim, "k": r.k, "train_pairs": r.props.get("train_pairs"),
             "metrics": ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                  for k, v in list(flatten(r.metrics).items())[:4])} for r in runs]
    click.echo(table(rows) if rows else "no model runs yet (`graphrec train` publishes one)")


@runs_group.command("activate")
@click.argument("run")
@pass_app
def activate_cmd(app: AppContext, run: str) -> None:
    """Switch every recommend query to RUN, in one transaction.

    Example: graphrec runs activate lightgcn-20250101T120000-ab12cd
    """
    from graphrec.writeback import activate

    info = activate(app.driver(), run)
    app.echo(f"active model run: {info.id} ({info.model})")


@runs_group.command("prune")
@click.option("--keep", type=click.IntRange(min=0), default=1, show_default=True,
              help="How many of the newest usable (ready/active/retired) runs to keep; the active one always stays.")
@click.option("--grace", type=click.FloatRange(min=0), default=3600, show_default=True,
              help="Seconds a 'staging' run is left alone (a publish may be writing it); older ones are orphans "
                   "of a killed publish and are deleted, as are 'deleting' runs.")
@pass_app
def prune_cmd(app: AppContext, keep: int, grace: float) -> None:
    """Delete old runs and orphans: their RECOMMENDED relationships (in batches), vectors and indexes.

    Example: graphrec runs prune --keep 2
    """
    from graphrec.writeback import prune

    gone = prune(app.driver(), keep=keep, grace_s=grace)
    app.echo(f"pruned {len(gone)} run(s)" + (": " + ", ".join(gone) if gone else ""))
