"""``graphrec train`` and ``graphrec evaluate``: the CLI is where the stages meet (DESIGN §1).

Neo4j → :func:`graphrec.loaders.load_graph` → :func:`graphrec.train.fit` → :func:`graphrec.writeback.publish`.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import click

from graphrec.cli.context import AppContext, pass_app, table
from graphrec.errors import ConfigError, NotFoundError

SPLITS = ("auto", "stored", "temporal", "random")


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(k) for k in text.split(",") if k.strip()}, reverse=True))
    except ValueError as e:
        raise ConfigError(f"--k: expected comma-separated integers, got {text!r}") from e
    if not ks or min(ks) < 1:
        raise ConfigError(f"--k: cut-offs must be positive, got {text!r}")
    return ks


def train_options(f: Any) -> Any:
    """Options shared by ``train`` and ``evaluate`` (hyper-parameters and the split)."""
    opts = [
        click.option("--epochs", type=int, help="Max epochs, early stop on valid Recall@20 (default 150)."),
        click.option("--dim", type=int, help="Embedding size (default 64)."),
        click.option("--layers", type=int, help="Propagation layers (default 3)."),
        click.option("--lr", type=float, help="Adam learning rate (default 0.005)."),
        click.option("--batch-size", "train_batch", type=int, help="BPR pairs per step (default 4096)."),
        click.option("--dropout", type=float, help="hetero: message dropout on KG/social/text channels (default 0.5)."),
        click.option("--side-init", type=float, help="hetero: initial weight of KG/social channels (default 0.1)."),
        click.option("--seed", type=int, default=2020, show_default=True, help="Seed of split, init and sampling."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Default: auto (CUDA if present)."),
        click.option("--split", "split_mode", type=click.Choice(SPLITS), default="auto", show_default=True,
                     help="auto: the stored `split` property if any, else a seeded temporal split."),
        click.option("--interactions", "interactions", default="",
                     help="Comma-separated behaviour types that are the positives to learn and test "
                          "(default: every behaviour); other behaviours stay as side relations, "
                          "e.g. --interactions LISTENED on lastfm-2k keeps TAGGED as context."),
        click.option("--k", "ks_text", default="20,10", show_default=True, help="Metric cut-offs."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _config(app: AppContext, model: str, ks: tuple[int, ...], out_dir: Path | None, **given: Any) -> Any:
    from graphrec.train import TrainConfig

    values = {k: v for k, v in given.items() if v is not None}
    if "train_batch" in values:
        values["batch_size"] = values.pop("train_batch")
    values.setdefault("device", app.settings.device)
    try:
        return TrainConfig(model=model, ks=ks, out_dir=out_dir, **values)
    except ValueError as e:
        raise ConfigError(str(e)) from e


def _load(app: AppContext, split_mode: str, seed: int, interactions: str = "") -> Any:
    from graphrec.loaders import discover_spec, load_graph_with_stats

    names = [n.strip() for n in interactions.split(",") if n.strip()]
    try:
        spec = discover_spec(app.driver(), interactions=names or None)
    except NotFoundError as e:   # discover_spec raises it only for an unknown interactions name
        raise ConfigError(f"--{e}") from e
    graph, stats = load_graph_with_stats(app.driver(), spec, split=split_mode, seed=seed)  # type: ignore[arg-type]
    if not app.quiet:   # on stderr, so that --json output stays parseable
        click.echo(f"graph: {stats.nodes} · {stats.total_edges:,} relationships streamed in {stats.seconds:.1f}s "
                   f"({stats.edges_per_s:,.0f}/s) · split {stats.split_mode}: {graph.train.size(1):,} train, "
                   f"{graph.valid.size(1):,} valid, {graph.test.size(1):,} test", err=True)
    return graph


def _metric_row(model: str, metrics: dict[str, float], ks: tuple[int, ...], **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"model": model}
    for k in sorted(ks, reverse=True):
        for m in ("recall", "ndcg", "precision", "hit"):
            key = f"{m}@{k}"
            if key in metrics:
                row[key] = metrics[key]
    row.update(extra)
    return row


@click.command("train")
@click.option("--model", type=click.Choice(["popularity", "lightgcn", "hetero"]), default="hetero", show_default=True)
@train_options
@click.option("--top-k", type=int, default=20, show_default=True, help="RECOMMENDED relationships per user.")
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Write embeddings, RECOMMENDED and a ModelRun, and make it the active run.")
@click.option("--out-dir", type=click.Path(path_type=Path), help="Checkpoints and curves (default: <home>/runs).")
@pass_app
def train(app: AppContext, /, model: str, top_k: int, publish: bool, out_dir: Path | None, split_mode: str,
          ks_text: str, as_json: bool, interactions: str, **hyper: Any) -> None:
    """Train a model on the graph in Neo4j and publish its recommendations back.

    Example: graphrec train --model hetero --epochs 100
    """
    from graphrec.train import fit

    ks = _ks(ks_text)
    cfg = _config(app, model, ks, out_dir or app.settings.home / "runs", **hyper)
    graph = _load(app, split_mode, cfg.seed, interactions)
    result = fit(graph, cfg, progress=not app.quiet)
    report: dict[str, Any] = {
        "model": model, "epochs": result.epochs, "best_epoch": result.best_epoch,
        "seconds": round(result.seconds, 1), "seconds_per_epoch": round(result.seconds_per_epoch, 3),
        "metrics": result.metrics, "curve_png": str(result.curve_png or ""), "checkpoint": str(result.checkpoint or ""),
    }
    if publish:
        report["publish"] = _publish(app, graph, result, top_k)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    app.echo(f"{model}: {result.epochs} epochs (best {result.best_epoch}) in {result.seconds:.1f}s "
             f"({result.seconds_per_epoch:.2f}s/epoch)")
    rows = [_metric_row(f"{model} ({split})", m, ks) for split, m in result.metrics.items() if m]
    click.echo(table(rows))
    if result.curve_png:
        app.echo(f"training curve: {result.curve_png} ({result.curve_csv})")
    if publish:
        p = report["publish"]
        app.echo(f"published run {p['run_id']} (active): {p['vectors']:,} vectors at {p['vectors_per_s']:,.0f}/s, "
                 f"{p['recommended']:,} RECOMMENDED")


def _publish(app: AppContext, graph: Any, result: Any, top_k: int) -> dict[str, Any]:
    import torch
    from tqdm import tqdm

    from graphrec.writeback import RunSpec, publish

    bars: dict[str, tqdm[Any]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if app.quiet:
            return
        if stage not in bars:
            bars[stage] = tqdm(total=total, desc=f"publish {stage}", unit="row")
        bars[stage].update(done - bars[stage].n)

    seen = torch.cat([graph.train, graph.valid, graph.test], dim=1)
    spec = RunSpec(model=result.model, params=result.config,
                   metrics={"test": result.metrics.get("test", {}), "valid": result.metrics.get("valid", {})})
    t0 = time.perf_counter()
    pub = publish(app.driver(), spec, graph.ids, result.user_emb, result.item_emb, exclude=seen, k=top_k,
                  entity_emb=result.entity_emb.get("Entity"), user_type=graph.user_type,
                  item_type=graph.item_type, progress=progress)
    for bar in bars.values():
        bar.close()
    return {"run_id": pub.run_id, "vectors": pub.vectors, "recommended": pub.recommended,
            "vectors_per_s": round(pub.vectors_per_s), "seconds": round(time.perf_counter() - t0, 1)}


@click.command("evaluate")
@click.option("--models", default="popularity,lightgcn,hetero,gds", show_default=True,
              help="Comma-separated: popularity, lightgcn, hetero, gds (FastRP inside Neo4j).")
@click.option("--repeats", type=click.IntRange(min=1), default=1, show_default=True,
              help="Train each model with seeds SEED … SEED+N-1 on the same split; report the mean and "
                   "the standard deviation (`…_std` columns).")
@train_options
@pass_app
def evaluate(app: AppContext, /, models: str, repeats: int, split_mode: str, ks_text: str, as_json: bool,
             interactions: str, **hyper: Any) -> None:
    """Full-ranking Recall/NDCG/Precision/HitRate@K of several models on the same split, one table.

    Example: graphrec evaluate --models popularity,lightgcn,hetero,gds --k 10,20 --repeats 3
    """
    from graphrec.gds import gds_embeddings
    from graphrec.train import MODELS, evaluate_embeddings, fit

    names = [m.strip() for m in models.split(",") if m.strip()]
    unknown = [m for m in names if m not in (*MODELS, "gds")]
    if unknown:
        raise ConfigError(f"--models: unknown {', '.join(unknown)} (choose from {', '.join((*MODELS, 'gds'))})")
    ks = _ks(ks_text)
    seed = hyper.pop("seed")
    graph = _load(app, split_mode, seed, interactions)
    rows = []
    for name in names:
        runs: list[dict[str, float]] = []
        epochs: list[int] = []
        t0 = time.perf_counter()
        for r in range(repeats if name != "popularity" else 1):   # popularity has no randomness
            if name == "gds":
                u, i = gds_embeddings(app.driver(), graph, dim=hyper.get("dim") or 64, seed=seed + r)
                runs.append(evaluate_embeddings(u, i, graph, ks, "test"))
                epochs.append(0)
            else:
                cfg = _config(app, name, ks, None, seed=seed + r, **hyper)
                result = fit(graph, cfg, progress=not app.quiet)
                runs.append(result.metrics.get("test", {}))
                epochs.append(result.epochs)
        label = "gds-fastrp" if name == "gds" else name
        rows.append(_metric_row(label, _mean(runs), ks, **(_std(runs, ks) if repeats > 1 else {}),
                                runs=len(runs), epochs=round(sum(epochs) / len(epochs)),
                                seconds=round((time.perf_counter() - t0) / len(runs), 1)))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(table(rows))


def _mean(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.fmean(r[k] for r in runs) for k in runs[0]}


def _std(runs: list[dict[str, float]], ks: tuple[int, ...]) -> dict[str, float]:
    """Sample standard deviation of Recall and NDCG at the largest cut-off (0 for a single run)."""
    k = max(ks)
    return {f"{m}_std": statistics.stdev(r[m] for r in runs) if len(runs) > 1 else 0.0
            for m in (f"recall@{k}", f"ndcg@{k}")}
