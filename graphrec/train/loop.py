"""The training loop: mini-batch BPR, early stopping on validation Recall@20, checkpoints, curves."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from tqdm.auto import tqdm

from graphrec.loaders.types import RecGraph
from graphrec.nn import bpr_loss, l2_penalty
from graphrec.train import curves, distributed
from graphrec.train.config import TrainConfig
from graphrec.train.distributed import Step
from graphrec.train.metrics import evaluate_embeddings, rank_metrics
from graphrec.train.minibatch import LinkBatches, StoresFactory, minibatch_epoch, use_minibatch
from graphrec.train.models import BoundModel, bind
from graphrec.train.sampling import NegativeSampler, carve_validation

STOP_METRIC = "recall@20"


@dataclass
class TrainResult:
    """What :func:`fit` hands to write-back and the CLI.

    Attributes:
        model: model name.
        user_emb: ``[num_users, d]`` CPU float32 embeddings; ``score = user_emb @ item_emb.T``.
        item_emb: ``[num_items, d]`` CPU float32 embeddings.
        entity_emb: embeddings of other node types (e.g. ``"Entity"``) when the model learns them.
        metrics: ``{"valid": {...}, "test": {...}}`` of the restored best model (``"test"`` is empty
            when the graph has no test pairs).
        history: one row per epoch: ``epoch``, ``loss``, ``seconds`` and, at evaluated epochs,
            ``valid_<metric>@<k>``.
        seconds_per_epoch: mean wall time of a training epoch (without evaluation).
        epochs: epochs run.
        best_epoch: epoch of the restored checkpoint (``0`` for untrained models).
        seconds: total wall time of :func:`fit`.
        checkpoint: the best checkpoint file, if ``out_dir`` was set and the model trains.
        curve_png: the training-curve plot, if written.
        curve_csv: the training-curve table, if written.
        config: the settings used (``TrainConfig.to_dict()``).
        carved_valid: whether validation pairs were carved out of ``graph.train``.
    """

    model: str
    user_emb: Tensor
    item_emb: Tensor
    entity_emb: dict[str, Tensor] = field(default_factory=dict)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)
    seconds_per_epoch: float = 0.0
    epochs: int = 0
    best_epoch: int = 0
    seconds: float = 0.0
    checkpoint: Path | None = None
    curve_png: Path | None = None
    curve_csv: Path | None = None
    config: dict[str, Any] = field(default_factory=dict)
    carved_valid: bool = False


def resolve_device(name: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; ``"cuda"`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but torch sees no CUDA GPU; use --device cpu or auto")
    return torch.device(name)


def _autocast(device: torch.device) -> AbstractContextManager[Any]:
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def check_graph(graph: RecGraph) -> None:
    """Reject malformed splits before any work.

    Raises:
        ValueError: a split of the wrong shape or with indices outside the graph, or no training pairs.
    """
    for name in ("train", "valid", "test"):
        t: Tensor = getattr(graph, name)
        if t.dim() != 2 or t.size(0) != 2:
            raise ValueError(f"graph.{name} must be a [2, E] tensor, got shape {tuple(t.shape)}")
        if t.numel() and (int(t[0].max()) >= graph.num_users or int(t[1].max()) >= graph.num_items or int(t.min()) < 0):
            raise ValueError(f"graph.{name} has indices outside {graph.num_users} users / {graph.num_items} items")
    if graph.train.size(1) == 0:
        raise ValueError("graph has no training interactions")


def _embed_eval(bound: BoundModel) -> tuple[Tensor, Tensor]:
    bound.module.eval()
    with torch.no_grad():
        u, i = bound.embed()
    bound.module.train()
    return u.float(), i.float()


def train_bpr(graph: RecGraph, cfg: TrainConfig, progress: bool = True, train: Tensor | None = None,
              valid: Tensor | None = None, epochs: int | None = None,
              stores: StoresFactory | None = None) -> TrainResult:
    """Train the BPR model ``cfg.model`` on ``graph`` and return its embeddings, metrics and artefacts.

    With ``train`` given, those pairs are the positives and the message-passing graph instead of
    ``graph.train``; with ``valid`` also given they are the validation pairs, and ``valid`` of shape
    ``[2, 0]`` means "no validation": exactly ``epochs`` (default ``cfg.epochs``) epochs are run and
    the last state is kept (the refit of a setting chosen earlier).

    Mini-batch BPR over shuffled training pairs with ``cfg.negatives`` uniform negatives per pair
    (never a training positive of the user), L2 on the batch's layer-0 embeddings, Adam. Every
    ``cfg.eval_every`` epochs the model is scored on the validation pairs (full ranking); the best
    validation Recall@20 is checkpointed and restored at the end, and training stops after
    ``cfg.patience`` evaluations without improvement. When ``graph.valid`` is empty, a seeded
    ``cfg.valid_fraction`` of each user's training pairs is held out for validation (and removed
    from the message-passing graph). On CPU a fixed ``cfg.seed`` gives identical embeddings;
    on CUDA the forward pass runs under bfloat16 autocast.

    With ``cfg.minibatch`` (or above :data:`~graphrec.train.minibatch.MINIBATCH_PAIRS` training pairs when it is
    ``None``) each step is a ``LinkNeighborLoader`` batch propagated over its sampled subgraph instead
    (:mod:`graphrec.train.minibatch`), on the in-memory graph or on the PyG remote stores that ``stores`` builds.

    Args:
        graph: the graph (its ``test`` pairs are only used for the final report).
        cfg: settings.
        progress: show a tqdm bar with the loss and validation Recall@20 (default: ``True``).
        stores: mini-batches: build the message-passing graph as PyG remote stores (e.g.
            :meth:`graphrec.loaders.remote.RemoteBackend.stores_for`) (default: a ``HeteroData`` in memory).

    Returns:
        A :class:`TrainResult`.

    Raises:
        ValueError: on malformed splits or settings.
    """
    t_start = time.perf_counter()
    check_graph(graph)
    device = resolve_device(cfg.device)
    ks = tuple(sorted(set(cfg.ks) | {20}, reverse=True))
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    carved = False
    if train is None:
        carved = graph.valid.size(1) == 0
        if carved:
            train, valid = carve_validation(graph.train, graph.num_users, cfg.valid_fraction, cfg.seed)
        else:
            train, valid = graph.train.long().cpu(), graph.valid.long().cpu()
    train = train.long().cpu()
    valid = torch.empty(2, 0, dtype=torch.long) if valid is None else valid.long().cpu()
    if epochs is not None:
        cfg = replace(cfg, epochs=max(1, epochs))
    bound = bind(graph, train, cfg, device)
    result = TrainResult(
        model=cfg.model,
        user_emb=torch.empty(0),
        item_emb=torch.empty(0),
        config=cfg.to_dict(),
        carved_valid=carved,
    )
    out_dir = cfg.out_dir
    ckpt_path = out_dir / f"{cfg.model}-best.pt" if out_dir is not None else None
    if bound.trainable:
        step = _epoch_fn(bound, graph, train, cfg, device, gen, stores)
        _train(bound, step, train, valid, cfg, ks, progress, result, ckpt_path)
    u, i = _embed_eval(bound)
    result.metrics["valid"] = rank_metrics(u, i, valid, [train], ks, cfg.eval_batch_size) if valid.numel() else {}
    result.metrics["test"] = (
        evaluate_embeddings(u, i, graph, ks, "test", cfg.eval_batch_size) if graph.test.size(1) else {}
    )
    result.user_emb = u.detach().cpu().float().contiguous()
    result.item_emb = i.detach().cpu().float().contiguous()
    result.entity_emb = {t: v.detach().cpu().float().contiguous() for t, v in bound.extra().items()}
    if out_dir is not None and result.history:
        result.curve_csv = curves.write_csv(result.history, out_dir / f"{cfg.model}-curve.csv")
        result.curve_png = curves.plot(result.history, out_dir / f"{cfg.model}-curve.png", title=cfg.model)
    result.seconds = time.perf_counter() - t_start
    return result


def _epoch_fn(bound: BoundModel, graph: RecGraph, train: Tensor, cfg: TrainConfig, device: torch.device,
              gen: torch.Generator, stores: StoresFactory | None) -> Callable[[], float]:
    """One epoch of the full-graph loop or of the mini-batch one (:func:`use_minibatch`): returns its mean loss."""
    opt = torch.optim.Adam(bound.module.parameters(), lr=cfg.lr)
    sampler = NegativeSampler(torch.cat([graph.train.long().cpu(), train], 1), graph.num_items)
    step = distributed.replicate(bound.module, device)   # DDP in a process group
    if use_minibatch(cfg, train.size(1)):
        batches = LinkBatches(bound, train, cfg, stores)
        return lambda: minibatch_epoch(bound, opt, batches, sampler, cfg, device, step)
    order = distributed.order_generator(gen, cfg.seed)
    def epoch() -> float:
        bound.start_epoch()
        return _epoch(bound, opt, sampler, train, cfg, device, (gen, order), step)
    return epoch


def _train(
    bound: BoundModel,
    step: Callable[[], float],
    train: Tensor,
    valid: Tensor,
    cfg: TrainConfig,
    ks: tuple[int, ...],
    progress: bool,
    result: TrainResult,
    ckpt_path: Path | None,
) -> None:
    """Epochs of BPR with a validation check every ``eval_every`` epochs; the best state is restored at the end
    (the last one without validation pairs)."""
    module = bound.module
    best = _Best(state=copy.deepcopy(module.state_dict()))
    epoch_times: list[float] = []
    bar = tqdm(range(1, cfg.epochs + 1), desc=cfg.model, disable=not progress, unit="epoch")
    for epoch in bar:
        t0 = time.perf_counter()
        loss = step()
        epoch_times.append(time.perf_counter() - t0)
        row: dict[str, float] = {"epoch": epoch, "loss": loss, "seconds": epoch_times[-1]}
        if not valid.numel():
            result.best_epoch = epoch
            best.state = module.state_dict()
        elif epoch % cfg.eval_every == 0 or epoch == cfg.epochs:
            row.update(_validate(bound, train, valid, cfg, ks, epoch, best, result, ckpt_path))
        result.history.append(row)
        bar.set_postfix(loss=f"{row['loss']:.4f}", recall20=f"{max(best.score, 0.0):.4f}")
        if distributed.agree(best.bad >= cfg.patience):   # rank 0's call: every rank steps (DDP) as often
            break
    result.epochs = len(result.history)
    result.seconds_per_epoch = sum(epoch_times) / max(len(epoch_times), 1)
    module.load_state_dict(best.state)


@dataclass
class _Best:
    """The best validation state so far: its Recall@20, the evaluations since it, its weights."""

    state: dict[str, Any]
    score: float = -1.0
    bad: int = 0


def _epoch(bound: BoundModel, opt: torch.optim.Optimizer, sampler: NegativeSampler, train: Tensor,
           cfg: TrainConfig, device: torch.device, gens: tuple[torch.Generator, torch.Generator], step: Step) -> float:
    """One pass over the shuffled training pairs (in a process group: this rank's share, ``batch_size / ranks`` a
    step); the mean BPR loss (+ L2) per pair. ``gens``: the negatives' generator and the order's."""
    gen, order = gens
    perm = distributed.shard(torch.randperm(train.size(1), generator=order))
    n, size = perm.numel(), distributed.local_batch(cfg.batch_size)
    total = torch.zeros((), device=device)   # summed on the device: no host sync per step
    for s in range(0, n, size):
        idx = perm[s : s + size]
        users, pos = train[0, idx], train[1, idx]
        neg = sampler.sample(users, cfg.negatives, gen)
        users, pos, neg = users.to(device), pos.to(device), neg.to(device)
        def loss_fn(users: Tensor = users, pos: Tensor = pos, neg: Tensor = neg) -> Tensor:
            return _bpr(bound, users, pos, neg, cfg, device)
        loss = step(loss_fn)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        total += loss.detach() * idx.numel()
    return distributed.mean(float(total) / n)


def _bpr(bound: BoundModel, users: Tensor, pos: Tensor, neg: Tensor, cfg: TrainConfig, device: torch.device) -> Tensor:
    """BPR (+ L2 on the layer-0 rows) of one full-graph step's pairs."""
    with _autocast(device):
        u_all, i_all = bound.embed()
        u = u_all[users]
        pos_s = (u * i_all[pos]).sum(-1).float()
        neg_s = (u.unsqueeze(1) * i_all[neg]).sum(-1).float()
    loss = bpr_loss(pos_s, neg_s)
    ego = bound.ego(users, torch.cat([pos, neg.flatten()]))
    if ego and cfg.weight_decay:
        loss = loss + cfg.weight_decay * l2_penalty(*ego)
    return loss


def _validate(bound: BoundModel, train: Tensor, valid: Tensor, cfg: TrainConfig, ks: tuple[int, ...], epoch: int,
              best: _Best, result: TrainResult, ckpt_path: Path | None) -> dict[str, float]:
    """Score ``valid``; keep (and checkpoint) the state when it is the best yet. The row's ``valid_*`` metrics."""
    u_e, i_e = _embed_eval(bound)
    m = rank_metrics(u_e, i_e, valid, [train], ks, cfg.eval_batch_size)
    if m[STOP_METRIC] > best.score:
        best.score, best.bad, result.best_epoch = m[STOP_METRIC], 0, epoch
        best.state = copy.deepcopy(bound.module.state_dict())
        if ckpt_path is not None:
            ckpt_path.parent.mkdir(parents=True, exist_ok=True)
            torch.save({"model": cfg.model, "config": cfg.to_dict(), "epoch": epoch, "valid": m,
                        "state_dict": best.state}, ckpt_path)
            result.checkpoint = ckpt_path
    else:
        best.bad += 1
    return {f"valid_{k}": v for k, v in m.items() if k != "users"}
