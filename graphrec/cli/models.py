"""``graphrec models``: the registry's models and what each declares (docs/DESIGN.md §5)."""

from __future__ import annotations

import json
from typing import Any

import click


def describe() -> list[dict[str, Any]]:
    """One JSON-ready row per registry model: name, summary, the settings it reads, its fold-in, its ablations."""
    from graphrec.train.base import COMMON_PARAMS
    from graphrec.train.registry import DEFAULT_MODEL, EVALUATE_DEFAULT, REGISTRY

    return [{"model": name, "default": name == DEFAULT_MODEL, "evaluated_by_default": name in EVALUATE_DEFAULT,
             "summary": cls.summary, "uses_graph": cls.uses_graph, "settings": list(cls.params),
             "common_settings": list(COMMON_PARAMS), "fold": cls.fold, "ablations": list(cls.ablations)}
            for name, cls in REGISTRY.items()]


@click.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def models_cmd(as_json: bool) -> None:
    """The models `graphrec train --model` and `graphrec evaluate --models` take, with the settings each reads.

    Example: graphrec models
    """
    from graphrec.writeback.runs import FOLD_KINDS

    rows = describe()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['model']}{' (default)' if r['default'] else ''}: {r['summary']}")
        click.echo(f"  reads: {', '.join(r['settings']) or 'nothing of its own'}")
        click.echo(f"  refresh folds a new user in by {FOLD_KINDS.get(r['fold'], r['fold'])}")
        if r["ablations"]:
            click.echo(f"  evaluate --ablate: {', '.join(r['ablations'])}")
