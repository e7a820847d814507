"""``graphrec train``, ``graphrec evaluate`` and ``graphrec publish``: the CLI is where the stages meet (DESIGN §1).

Neo4j → :func:`graphrec.loaders.load_graph` → :func:`graphrec.train.fit` (an :class:`~graphrec.artefact.Artefact`) →
:func:`graphrec.writeback.publish_artefact`.
"""

from __future__ import annotations

import contextlib
import json
import signal
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from graphrec.cli.context import AppContext, count_bar, pass_app, progress_bars, table
from graphrec.cli.estimate import GDS
from graphrec.errors import CapacityError, ConfigError, GraphRecError, NotFoundError, UsageError, clip

SPLITS = ("auto", "stored", "temporal", "random")


def _registry() -> Any:
    """:mod:`graphrec.train.registry`, imported when an option first needs it: it imports torch, which
    ``graphrec --help`` and the commands that do not train should not pay for."""
    from graphrec.train import registry

    return registry


def model_names() -> tuple[str, ...]:
    """The registry's model names."""
    return tuple(_registry().REGISTRY)


def ablations() -> dict[str, dict[str, Any]]:
    """``evaluate --ablate`` rows: the default model's declared ablations (label → settings overrides)."""
    return dict(_registry().model_class(_registry().DEFAULT_MODEL).ablations)


class _Lazy:
    """An option default read from the registry when click first shows or uses it."""

    def __init__(self, read: Callable[[], str]) -> None:
        self._read = read

    def __call__(self) -> str:
        return self._read()

    def __str__(self) -> str:
        return self._read()


class ModelChoice(click.Choice[str]):
    """The registry's model names (and ``extra`` ones), read when click first needs them."""

    def __init__(self, *extra: str) -> None:
        super().__init__(())
        self._extra = extra

    @property
    def choices(self) -> tuple[str, ...]:
        return (*model_names(), *self._extra)

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:   # click's __init__ sets it; the registry decides
        pass


class RegistryOption(click.Option):
    """An option whose help text is read from the registry when help is shown (``lazy_help``)."""

    def __init__(self, *args: Any, lazy_help: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy_help = lazy_help

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.help = self._lazy_help()
        return super().get_help_record(ctx)


PROTOCOL_NAMES = ("warm", "cold-items", "cold-users")
"""``graphrec.train.protocols.PROTOCOLS``, spelled out so that ``--help`` needs no torch import; a test checks
they match."""
ROW_METRICS = ("recall", "ndcg", "precision", "hit", "coverage", "gini", "pop")


def allow_unfinished_option(f: Any) -> Any:
    """``--allow-unfinished``: train/evaluate/publish although a load was left unfinished (with a warning)."""
    return click.option("--allow-unfinished", is_flag=True,
                        help="Go on although a load was stopped half-way (`graphrec stats`: UNFINISHED load); "
                             "without it such a partial graph is refused.")(f)


def _check_finished(app: AppContext, doing: str, allow: bool) -> None:
    from graphrec.ingest.writer import check_finished

    warning = check_finished(app.driver(), doing, allow)
    if warning:
        click.echo(warning, err=True)


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(k) for k in text.split(",") if k.strip()}, reverse=True))
    except ValueError as e:
        raise UsageError(f"--k: expected comma-separated integers, got {clip(repr(text))}") from e
    if not ks or min(ks) < 1:
        raise UsageError(f"--k: cut-offs must be positive, got {clip(repr(text))}")
    return ks


def train_options(f: Any) -> Any:
    """Options shared by ``train`` and ``evaluate`` (hyper-parameters and the split); ``None`` = TrainConfig's."""
    opts = [
        click.option("--epochs", type=int, help="BPR models: maximum epochs; training stops when validation "
                                                "Recall@20 stops improving.  [default: 150]"),
        click.option("--dim", type=int, help="Vector size (embeddings; rank of item–item models' vectors).  "
                                             "[default: 64]"),
        click.option("--layers", type=int, help="GNN propagation layers.  [default: 3]"),
        click.option("--lr", type=float, help="BPR models: Adam learning rate.  [default: 0.005]"),
        click.option("--batch-size", "train_batch", type=int, help="BPR pairs per step.  [default: 4096]"),
        click.option("--dropout", type=float, help="hetero: message dropout on KG/social/text channels.  "
                                                   "[default: 0.5]"),
        click.option("--side-init", type=float, help="hetero: initial weight of KG/social channels.  [default: 0.1]"),
        click.option("--side-sample", type=click.IntRange(min=1),
                     help="hetero: each training epoch draws at most N of each node's KG/social neighbours "
                          "(KGCN's fixed-size neighbourhood, re-drawn every epoch; evaluation uses them all).  "
                          "[default: 16]"),
        click.option("--lam", type=float, help="ease/graph: L2 weight λ.  [default: chosen on validation]"),
        click.option("--neighbours", type=click.IntRange(min=1),
                     help="ease/graph: the sparse path, each item solved over its N strongest co-occurring items.  "
                          "[default: dense where it fits --memory-gb; graph takes the sparse path by itself "
                          "where it does not]"),
        click.option("--select-items", type=int, help="ease/graph: a catalogue above this many items chooses λ "
                                                      "and the weights on its 10,000 most-interacted items, "
                                                      "then refits on all.  [default: 20000]"),
        click.option("--memory-gb", type=click.FloatRange(min=0, min_open=True),
                     help="ease/graph: memory bound; the dense solve (4·4·items² bytes) where it fits, graph's "
                          "sparse path (sized to the bound) where not.  [default: half the available memory]"),
        click.option("--cold-boost", type=click.FloatRange(0, 1),
                     help="graph: items without a training interaction get their scores scaled by a factor "
                          "chosen on a pseudo-cold validation carve, costing at most this share of warm validation "
                          "Recall@20 and of NDCG@20 (0: none; 1: chosen by the cold items alone; e.g. 0.005).  "
                          "[default: 0]"),
        click.option("--pop-debias", type=click.FloatRange(0, 1),
                     help="graph: re-rank the published lists together for catalogue coverage (items no list "
                          "shows placed where they cost least, a few per user), as many per user as give the "
                          "largest validation coverage@20 costing at most this share of validation Recall@20 "
                          "(e.g. 0.01).  [default: off]"),
        click.option("--minibatch/--full-graph", "minibatch", default=None,
                     help="lightgcn/hetero: train on LinkNeighborLoader mini-batches (each step propagates over the "
                          "batch's sampled subgraph: memory bounded by the batch) or on the whole graph every step.  "
                          "[default: mini-batches above 20M training pairs]"),
        click.option("--fanout", type=click.IntRange(min=1),
                     help="Mini-batches: neighbours sampled per node and hop.  [default: 10]"),
        click.option("--seed", type=int, default=2020, show_default=True, help="Seed of split, init and sampling."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]),
                     help="Where to train.  [default: auto (CUDA if present)]"),
        click.option("--threads", type=click.IntRange(min=0),
                     help="Torch threads (env GRAPHREC_THREADS).  [default: 0 = the cores available]"),
        click.option("--split", "split_mode", type=click.Choice(SPLITS), default="auto", show_default=True,
                     help="auto: the stored `split` property if any, else a seeded temporal split."),
        click.option("--interactions", "interactions", default="", show_default="every behaviour",
                     help="Comma-separated behaviour types that are the positives to learn and test; "
                          "other behaviours stay as side relations, e.g. --interactions LISTENED on "
                          "lastfm-2k keeps TAGGED as context."),
        click.option("--k", "ks_text", default="20,10", show_default=True, help="Metric cut-offs."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _config(app: AppContext, model: str, ks: tuple[int, ...], out_dir: Path | None, **given: Any) -> Any:
    from graphrec.train import TrainConfig
    from graphrec.train.threads import set_threads

    values = {k: v for k, v in given.items() if v is not None}
    if "train_batch" in values:
        values["batch_size"] = values.pop("train_batch")
    threads = values.pop("threads", None)
    set_threads(app.settings.threads if threads is None else threads)
    values.setdefault("device", app.settings.device)
    try:
        return TrainConfig(model=model, ks=ks, out_dir=out_dir, **values)
    except ValueError as e:
        raise ConfigError(str(e)) from e


def _load(app: AppContext, split_mode: str, seed: int, interactions: str = "", pair_ts: bool = False,
          shard: Any = None) -> Any:
    from graphrec.loaders import discover_spec, load_graph_with_stats

    names = [n.strip() for n in interactions.split(",") if n.strip()]
    try:
        spec = discover_spec(app.driver(), interactions=names or None, mapping=app.mapping())
    except NotFoundError as e:   # discover_spec raises it only for an unknown interactions name
        raise UsageError(f"--{e}") from e
    total = sum(spec.edge_counts.values()) if shard is None else None   # a shard streams its block only
    with count_bar(app.quiet, "stream-out", total, "rel") as progress:
        graph, stats = load_graph_with_stats(app.driver(), spec, split=split_mode, seed=seed,  # type: ignore[arg-type]
                                             progress=progress, pair_ts=pair_ts, shard=shard)
    if not app.quiet:   # on stderr, so that --json output stays parseable
        click.echo(f"graph: {stats.nodes} · {stats.total_edges:,} relationships streamed in {stats.seconds:.1f}s "
                   f"({stats.edges_per_s:,.0f}/s) · split {stats.split_mode}: {graph.train.size(1):,} train, "
                   f"{graph.valid.size(1):,} valid, {graph.test.size(1):,} test", err=True)
        click.echo(positives_line(spec.min_weights, graph.behaviours, graph.below_min_weight.size(1)), err=True)
    return graph


def positives_line(min_weights: Mapping[str, float], behaviours: Sequence[str], below: int) -> str:
    """Which behaviours, at which weights, count as positives (what the model learns a liking from)."""
    parts = [f"{b} with weight >= {min_weights[b]:g}" if b in min_weights else f"{b} (every pair)" for b in behaviours]
    line = f"positives: {', '.join(parts) or 'none'}"
    if below:
        line += f"; {below:,} pairs below min_weight are seen, not positives"
    if any(b not in min_weights for b in behaviours) and len(behaviours) > 1:
        line += " (--interactions TYPE,… or min_weight in the mapping narrows them)"
    return line


def _metric_row(model: str, metrics: dict[str, float], ks: tuple[int, ...], **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"model": model, **_metric_values(metrics, ks)}
    row.update(extra)
    return row


def _metric_values(metrics: Mapping[str, float], ks: tuple[int, ...]) -> dict[str, float]:
    """The figures of ``metrics`` at the cut-offs ``ks`` (accuracy, then coverage, Gini and popularity)."""
    out = {f"{m}@{k}": metrics[f"{m}@{k}"] for k in sorted(ks, reverse=True) for m in ROW_METRICS
           if f"{m}@{k}" in metrics}
    if "users" in metrics:
        out["users"] = int(metrics["users"])
    return out


@click.command("train")
@click.option("--model", type=ModelChoice(), default=_Lazy(lambda: _registry().DEFAULT_MODEL), show_default=True,
              help="A registry model (`graphrec evaluate` compares them).")
@train_options
@click.option("--holdout/--no-holdout", default=False, show_default=True,
              help="Keep the test pairs out and report test metrics; without it the model learns from every "
                   "interaction in the graph (deployment).")
@click.option("--top-k", type=int, default=20, show_default=True, help="RECOMMENDED relationships per user.")
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Write vectors, RECOMMENDED and a ModelRun, and make it the active run.")
@click.option("--save", "save_path", type=click.Path(path_type=Path), show_default="not saved",
              help="Also save the artefact here (publish it later with `graphrec publish PATH`).")
@click.option("--out-dir", type=click.Path(path_type=Path), show_default="<home>/runs",
              help="Checkpoints and curves of BPR models.")
@click.option("--workers", type=click.IntRange(min=1), callback=lambda c, p, v: check_workers(v),
              help="Fit under torch.distributed with N processes (gloo on CPU, NCCL on CUDA), started here; under "
                   "torchrun the group it sets up (its WORLD_SIZE).  [default: 1, or torchrun's WORLD_SIZE]")
@allow_unfinished_option
@pass_app
def train(app: AppContext, /, model: str, top_k: int, publish: bool, out_dir: Path | None, split_mode: str,
          ks_text: str, as_json: bool, interactions: str, holdout: bool, save_path: Path | None,
          allow_unfinished: bool, workers: int | None, **hyper: Any) -> None:
    """Train a model on the graph in Neo4j and publish its recommendations back.

    Hyper-parameters are chosen on a validation carve, then the model is refit on every interaction
    (on train + valid with --holdout) before it is published.

    Example: graphrec train --model graph
    """
    ks = _ks(ks_text)
    cfg = _config(app, model, ks, out_dir or app.settings.home / "runs", **hyper)
    _warn_unread(model, hyper)
    job = TrainJob(cfg, split_mode, interactions, holdout, top_k, publish, save_path, allow_unfinished,
                   hyper.get("threads"))
    spawning = bool(workers and workers > 1 and not _launched())
    report = _spawned(app, job, workers or 1) if spawning else run_train(app, job)
    if report is None:    # a rank other than 0 under torchrun: rank 0 reports
        return
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
        return
    app.echo(f"{model}: learnt from {report['train_pairs']:,} interactions in {report['seconds']['total']:.1f}s; "
             f"chosen on validation: {json.dumps(report['chosen'], default=str)}")
    rows = [_metric_row(f"{model} ({split})", m, ks) for split, m in report["metrics"].items() if m]
    if rows:
        click.echo(table(rows))
    if save_path is not None:
        app.echo(f"artefact saved: {report['saved']}")
    if publish:
        _echo_publish(app, report["publish"])


def _launched() -> int:
    from graphrec.train.distributed import launched

    return launched()


def check_workers(value: int | None) -> int | None:
    """``--workers``: at most the cores here when graphrec starts the processes itself; under torchrun, its
    WORLD_SIZE.

    Raises:
        click.BadParameter: either bound broken (exit 2, one line).
    """
    if value is None:
        return None
    from graphrec.train.threads import available_cores

    world, cores = _launched(), available_cores()
    if world and value != world:
        raise click.BadParameter(f"{value} differs from torchrun's WORLD_SIZE {world}", param_hint="'--workers'")
    if not world and value > cores:
        raise click.BadParameter(f"{value} local processes > the {cores} cores here (torchrun --nnodes spreads "
                                 f"them over machines)", param_hint="'--workers'")
    return value


@dataclass
class TrainJob:
    """What ``train`` does once its flags are read: the same in every worker process."""

    cfg: Any
    split_mode: str
    interactions: str
    holdout: bool
    top_k: int
    publish: bool
    save_path: Path | None
    allow_unfinished: bool
    threads: int | None


def run_train(app: AppContext, job: TrainJob) -> dict[str, Any] | None:
    """Load, fit, save and publish; in a process group (torchrun's or :func:`_spawned`'s) each rank streams its block
    of the graph from Neo4j and the blocks are exchanged (:class:`graphrec.loaders.build.Shard`), every rank fits
    (:mod:`graphrec.train.distributed`), rank 0 saves, publishes and returns the report (the others ``None``)."""
    from dataclasses import replace

    from graphrec.train import distributed, fit

    cfg = job.cfg
    with distributed.group(_cuda(cfg)):
        lead = distributed.rank() == 0
        app.quiet = app.quiet or not lead
        _check_finished(app, "train", job.allow_unfinished)
        graph = _load(app, job.split_mode, cfg.seed, job.interactions, shard=_shard())
        try:
            artefact = fit(graph, cfg if lead else replace(cfg, out_dir=None), progress=lead and not app.quiet,
                           holdout=job.holdout)
        except ValueError as e:
            raise ConfigError(str(e)) from e
        if not lead:
            return None
        report: dict[str, Any] = {
            "model": cfg.model, "train_pairs": artefact.train_pairs, "holdout": job.holdout,
            "chosen": artefact.info["selection"].get("params", {}), "seconds": artefact.info["seconds"],
            "selected_on_items": artefact.info["selection"].get("items", artefact.item_emb.size(0)),
            "path": artefact.info["refit"].get("path"), "top_k": artefact.info["refit"].get("top_k"),
            "metrics": artefact.metrics, "workers": distributed.world(),
        }
        if job.save_path is not None:
            report["saved"] = str(artefact.save(job.save_path))
        if job.publish:
            report["publish"] = _publish(app, artefact, job.top_k)
        return report


def _shard() -> Any:
    """In a process group, each rank's part of the stream-out (``graphrec.loaders.build.Shard``); else ``None``."""
    from graphrec.loaders.build import Shard
    from graphrec.train import distributed

    if not distributed.active():
        return None
    return Shard(distributed.rank(), distributed.world(), distributed.broadcast, distributed.gather)


def _cuda(cfg: Any) -> bool:
    """Whether ``cfg`` trains on CUDA (its device resolved).

    Raises:
        ConfigError: ``--device cuda`` where torch sees no GPU.
    """
    from graphrec.train import resolve_device

    try:
        return resolve_device(cfg.device).type == "cuda"
    except ValueError as e:
        raise ConfigError(str(e)) from e


def torch_gpus() -> int:
    """CUDA devices torch sees here."""
    import torch

    return int(torch.cuda.device_count())


def local_gpus_problem(workers: int, cuda: bool, gpus: int) -> str | None:
    """Why ``workers`` local ranks cannot train on ``gpus`` GPUs (NCCL puts each rank on a GPU of its own), or
    ``None``."""
    if cuda and workers > gpus:
        return (f"{workers} local processes need {workers} GPUs under NCCL (one each), this machine has {gpus}; "
                "--device cpu trains them on gloo")
    return None


def _error(message: str, exit_code: int) -> GraphRecError:
    """A worker's error, raised again here with its message and exit code."""
    e = GraphRecError(message)
    e.exit_code = exit_code
    return e


def _spawned(app: AppContext, job: TrainJob, workers: int) -> dict[str, Any]:
    """``run_train`` in ``workers`` local processes (:func:`graphrec.train.distributed.spawn`); rank 0's report, or
    the error a rank stopped on (rank 0's first), raised here as one line."""
    import tempfile

    from torch.multiprocessing.spawn import ProcessExitedException

    from graphrec.train.distributed import spawn
    from graphrec.train.threads import available_cores

    problem = local_gpus_problem(workers, _cuda(job.cfg), torch_gpus())
    if problem:
        raise UsageError(f"--workers: {problem}")
    threads = job.threads if job.threads is not None else app.settings.threads
    job = TrainJob(**{**vars(job), "threads": threads or max(1, available_cores() // workers)})
    with tempfile.TemporaryDirectory(prefix="graphrec-workers-") as tmp:
        failed = 0
        try:
            spawn(workers, rank_main, AppContext(settings=app.settings, quiet=app.quiet), job, Path(tmp))
        except ProcessExitedException as e:
            failed = e.error_index
        result = _rank_result(Path(tmp), 0) or _rank_result(Path(tmp), failed)
    if result is None:
        raise _error(f"worker {failed} of {workers} stopped without a word", 1)
    if "error" in result:
        raise _error(result["error"], result["exit_code"])
    return dict(result["report"])


def _rank_result(folder: Path, rank: int) -> dict[str, Any] | None:
    """What rank ``rank`` of :func:`_spawned` left in ``folder`` (its report or its error), if anything."""
    import pickle

    path = folder / f"rank{rank}.pickle"
    return dict(pickle.loads(path.read_bytes())) if path.exists() else None


def rank_main(app: AppContext, job: TrainJob, folder: Path) -> None:
    """One process of :func:`_spawned`: ``run_train`` inside a click context of its own (the session closes with
    it). Rank 0 leaves its report or its error in ``folder``; another rank that fails leaves its error there and
    exits with its code, so that the spawn stops the ranks that may be waiting on it."""
    import os
    import pickle

    from graphrec.train.threads import set_threads

    set_threads(job.threads)
    rank = int(os.environ.get("RANK", "0"))
    app = AppContext(settings=app.settings, quiet=app.quiet or rank > 0)
    try:
        with click.Context(train, obj=app):
            result: dict[str, Any] = {"report": run_train(app, job)}
    except GraphRecError as e:
        where = f"worker {rank}: " if rank else ""
        (folder / f"rank{rank}.pickle").write_bytes(pickle.dumps({"error": where + str(e), "exit_code": e.exit_code}))
        if rank:
            raise SystemExit(e.exit_code) from None
        return
    if rank == 0:
        (folder / "rank0.pickle").write_bytes(pickle.dumps(result))


def _warn_unread(model: str, hyper: dict[str, Any]) -> None:
    """One line on stderr naming the flags given that ``model`` does not read (its declared ``params``)."""
    given = {("batch_size" if k == "train_batch" else k) for k, v in hyper.items() if v is not None and k != "threads"}
    unread = _registry().model_class(model).irrelevant(sorted(given))
    if unread:
        flags = ", ".join("--" + f.replace("_", "-") for f in unread)
        click.echo(f"warning: {model} does not read {flags}: ignored", err=True)


def _echo_publish(app: AppContext, p: dict[str, Any]) -> None:
    app.echo(f"published run {p['run_id']} (active): {p['vectors']:,} vectors at {p['vectors_per_s']:,.0f}/s, "
             f"{p['recommended']:,} RECOMMENDED")


def _publish(app: AppContext, artefact: Any, top_k: int) -> dict[str, Any]:
    from graphrec.writeback import publish_artefact

    t0 = time.perf_counter()
    with progress_bars(app.quiet) as progress:   # the artefact/mapping check is publish_artefact's, once
        pub = publish_artefact(app.driver(), artefact, k=top_k, progress=progress, mapping=app.mapping())
    return {"run_id": pub.run_id, "vectors": pub.vectors, "recommended": pub.recommended,
            "train_pairs": artefact.train_pairs, "vectors_per_s": round(pub.vectors_per_s),
            "seconds": round(time.perf_counter() - t0, 1)}


@click.command("publish")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--top-k", type=int, default=20, show_default=True, help="RECOMMENDED relationships per user.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@allow_unfinished_option
@pass_app
def publish_cmd(app: AppContext, /, path: Path, top_k: int, as_json: bool, allow_unfinished: bool) -> None:
    """Publish a saved artefact (`graphrec train --save PATH`) as the active run, without retraining.

    Example: graphrec publish runs/graph.artefact
    """
    from graphrec.artefact import Artefact

    artefact = Artefact.load(path)
    _check_finished(app, "publish", allow_unfinished)
    p = _publish(app, artefact, top_k)
    if as_json:
        click.echo(json.dumps(p, indent=2))
    else:
        _echo_publish(app, p)


@click.command("evaluate")
@click.option("--models", default=_Lazy(lambda: ",".join(_registry().EVALUATE_DEFAULT)), show_default=True,
              cls=RegistryOption,
              lazy_help=lambda: f"Comma-separated: {', '.join(model_names())}, {GDS} (FastRP inside Neo4j).")
@click.option("--ablate", is_flag=True, cls=RegistryOption,
              lazy_help=lambda: f"Add rows for the default model without each of its parts: {', '.join(ablations())}.")
@click.option("--repeats", type=click.IntRange(min=1), default=1, show_default=True,
              help="Train each model with seeds SEED … SEED+N-1 on the same split; report the mean and "
                   "the standard deviation (`…_std` columns).")
@click.option("--protocol", type=click.Choice(PROTOCOL_NAMES), default="warm", show_default=True,
              help="warm: the loaded split. cold-items: a seeded 20% of the items lose every interaction to "
                   "the test pairs (rows add the ranking among those items only: `cold`). cold-users: a seeded "
                   "20% of the users keep only their earliest 3 interactions; the rest are their test pairs.")
@click.option("--by-activity", is_flag=True,
              help="warm protocol: also split the figures by the users' training interactions "
                   "(<10, 10-50, >50).")
@train_options
@allow_unfinished_option
@pass_app
def evaluate(app: AppContext, /, models: str, ablate: bool, repeats: int, protocol: str, by_activity: bool,
             split_mode: str, ks_text: str, as_json: bool, interactions: str, allow_unfinished: bool,
             **hyper: Any) -> None:
    """Full-ranking Recall/NDCG/Precision/HitRate@K of several models on the same split, one table.

    Each model chooses its hyper-parameters on a validation carve, is refit on train + valid, and is scored
    on the test pairs. Beside accuracy: coverage@K (share of the catalogue in some user's top-K), gini@K (how
    unevenly the items are recommended) and pop@K (mean popularity percentile of the recommended items).
    Rows print as each model finishes; the table (or --json) at the end.

    Example: graphrec evaluate --repeats 3 --ablate
    """
    names = [m.strip() for m in models.split(",") if m.strip()]
    known = (*model_names(), GDS)
    unknown = [m for m in names if m not in known]
    if unknown:
        raise UsageError(f"--models: unknown {clip(', '.join(unknown))} (choose from {', '.join(known)})")
    if by_activity and protocol != "warm":
        raise UsageError(f"--by-activity: only with --protocol warm, not {protocol}")
    ks = _ks(ks_text)
    seed = hyper.pop("seed")
    hyper["by_activity"] = by_activity
    _check_finished(app, "evaluate", allow_unfinished)
    graph = _protocol_graph(app, _load(app, split_mode, seed, interactions, protocol == "cold-users"), protocol, seed)
    header = f"protocol {protocol} · seed {seed}"
    plan: list[tuple[str, str, dict[str, Any]]] = [(("gds-fastrp" if n == GDS else n), n, {}) for n in names]
    if ablate:
        plan += [(label, _registry().DEFAULT_MODEL, over) for label, over in ablations().items()]
    rows: list[dict[str, Any]] = []
    try:
        with _interrupts():
            for label, name, over in plan:
                row = _evaluate_one(app, graph, label, name, over, hyper, seed, repeats, ks, as_json)
                rows.append({**row, "protocol": protocol, "seed": seed})
    except KeyboardInterrupt:       # keep what finished: the partial table, then the interrupt's exit code
        click.echo(f"interrupted: {len(rows)} of {len(plan)} model(s) finished", err=True)
        _print_rows(rows, as_json, header)
        raise SystemExit(130) from None
    _print_rows(rows, as_json, header)
    if rows and all("skipped" in r for r in rows):
        raise ConfigError("no model could run on this graph: " + "; ".join(f"{r['model']}: {r['skipped']}"
                                                                         for r in rows))


def _protocol_graph(app: AppContext, graph: Any, protocol: str, seed: int) -> Any:
    """The loaded graph under ``protocol`` (seeded by ``seed``), with a line on stderr saying what it holds out."""
    from graphrec.train.protocols import apply_protocol

    if protocol == "warm":
        return graph
    graph = apply_protocol(graph, protocol, seed)
    cold = f"{graph.cold_items.numel():,} cold items, " if graph.cold_items is not None else ""
    app.echo(f"protocol {protocol} (seed {seed}): {cold}{graph.test.size(1):,} test pairs of "
             f"{graph.test[0].unique().numel():,} users, {graph.train.size(1):,} training pairs", err=True)
    return graph


def _print_rows(rows: list[dict[str, Any]], as_json: bool, header: str) -> None:
    """``--json``: the rows; else a header line naming the protocol and seed, then one table (a model's cold-only
    ranking and activity buckets as lines of their own under it)."""
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    lines: list[dict[str, Any]] = []
    for r in rows:
        lines.append({k: v for k, v in r.items() if k not in ("cold", "by_activity", "protocol", "seed")})
        if "cold" in r:
            lines.append({"model": f"{r['model']} · cold items", **r["cold"]})
        for bucket, m in r.get("by_activity", {}).items():
            lines.append({"model": f"{r['model']} · users {bucket}", **m})
    click.echo(header)
    click.echo(table(lines))


_INTERRUPTED = threading.Event()
"""Set by ``evaluate``'s SIGINT handler: Python prints and drops a KeyboardInterrupt raised inside a ``__del__``
(the driver's finalisers run at any time), so each run also checks this before it starts."""


@contextlib.contextmanager
def _interrupts() -> Iterator[None]:
    """SIGINT records itself in :data:`_INTERRUPTED` and raises KeyboardInterrupt (where signals can be set)."""
    def on_sigint(signum: int, frame: Any) -> None:
        _INTERRUPTED.set()
        raise KeyboardInterrupt

    _INTERRUPTED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _evaluate_one(app: AppContext, graph: Any, label: str, name: str, over: dict[str, Any], hyper: dict[str, Any],
                  seed: int, repeats: int, ks: tuple[int, ...], as_json: bool) -> dict[str, Any]:
    """One row of ``evaluate``: the model fitted ``repeats`` times (seeds ``seed + r``), or why it was skipped."""
    from graphrec.train import fit

    runs: list[dict[str, dict[str, float]]] = []
    epochs: list[int] = []
    paths: set[str] = set()
    if not app.quiet:   # before it starts, on stderr: the work it is about to do
        from graphrec.cli.estimate import cost_line

        est_cfg = None if name == GDS else _config(app, name, ks, None, seed=seed, **{**hyper, **over})
        click.echo(cost_line(label, name, est_cfg, graph, repeats), err=True)
    t0 = time.perf_counter()
    once = name != GDS and _registry().model_class(name).deterministic   # no randomness: one run says it all
    for r in range(1 if once else repeats):
        if name == GDS:
            runs.append(_gds_metrics(app, graph, hyper, seed + r, ks))
            epochs.append(0)
            continue
        if _INTERRUPTED.is_set():   # a Ctrl-C that landed in a finaliser was swallowed there: stop here
            raise KeyboardInterrupt
        cfg = _config(app, name, ks, None, seed=seed + r, **{**hyper, **over})
        try:
            artefact = fit(graph, cfg, progress=not app.quiet and not as_json, holdout=True)
        except CapacityError as e:
            app.echo(f"{label}: skipped: {e}", err=True)
            return {"model": label, "skipped": str(e)}
        except ValueError as e:
            raise ConfigError(str(e)) from e
        runs.append({k: v for k, v in artefact.metrics.items() if k != "valid"})
        epochs.append(int(artefact.info["selection"].get("params", {}).get("epochs", 0)))
        if "path" in artefact.info["refit"]:
            paths.add(str(artefact.info["refit"]["path"]))
    extra: dict[str, Any] = {"path": ",".join(sorted(paths))} if paths else {}
    tests = [r.get("test", {}) for r in runs]
    row = _metric_row(label, _mean(tests), ks, **(_std(tests, ks) if len(tests) > 1 else {}),
                      runs=len(runs), epochs=round(sum(epochs) / len(epochs)),
                      seconds=round((time.perf_counter() - t0) / len(runs), 1), **extra)
    row.update(_sub_rankings(runs, ks))
    if not app.quiet:   # visible progress on stderr (stdout stays one table or one JSON document)
        k = max(ks)
        std = f" ± {row[f'recall@{k}_std']:.4f}" if f"recall@{k}_std" in row else ""
        click.echo(f"{label}: recall@{k} {row.get(f'recall@{k}', 0):.4f}{std}, ndcg@{k} "
                   f"{row.get(f'ndcg@{k}', 0):.4f} ({row['runs']} run(s), {row['seconds']}s/run)", err=True)
    return row


def _gds_metrics(app: AppContext, graph: Any, hyper: dict[str, Any], seed: int,
                 ks: tuple[int, ...]) -> dict[str, dict[str, float]]:
    """FastRP inside Neo4j on the graph's training pairs, scored like a fitted model (same protocol)."""
    from graphrec.gds import gds_embeddings
    from graphrec.train.fit import union_pairs
    from graphrec.train.protocols import protocol_metrics

    u, i = gds_embeddings(app.driver(), graph, dim=hyper.get("dim") or 64, seed=seed,
                          id_keys={n.label: n.id for n in app.mapping().nodes})
    known = union_pairs(graph.train, graph.valid, num_items=graph.num_items)
    return protocol_metrics(graph, lambda users: u[users] @ i.T, known, tuple(sorted(set(ks) | {20}, reverse=True)),
                            1024, bool(hyper.get("by_activity")))


def _sub_rankings(runs: list[dict[str, dict[str, float]]], ks: tuple[int, ...]) -> dict[str, Any]:
    """``cold`` (the ranking among the cold items) and ``by_activity`` (bucket → figures), means over the runs."""
    out: dict[str, Any] = {}
    if runs and "cold" in runs[0]:
        out["cold"] = _metric_values(_mean([r["cold"] for r in runs]), ks)
    buckets = [k for k in (runs[0] if runs else {}) if k.startswith("activity ")]
    if buckets:
        out["by_activity"] = {b.removeprefix("activity "): _metric_values(_mean([r[b] for r in runs]), ks)
                              for b in buckets}
    return out


def _mean(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.fmean(r[k] for r in runs) for k in runs[0]}


def _std(runs: list[dict[str, float]], ks: tuple[int, ...]) -> dict[str, float]:
    """Sample standard deviation of Recall and NDCG at the largest cut-off (0 for a single run)."""
    k = max(ks)
    return {f"{m}_std": statistics.stdev(r[m] for r in runs) if len(runs) > 1 else 0.0
            for m in (f"recall@{k}", f"ndcg@{k}")}
