"""``fit``: choose on validation, refit on everything the data allows, score, and return one :class:`Artefact`.

The protocol (docs/DESIGN.md §5), the same for every registry model:

1. **select** — hyper-parameters and epochs are chosen on the graph's validation pairs, or on a seeded
   ``valid_fraction`` carve of its training pairs when it has none;
2. **refit** — the chosen setting is fitted again on ``train ∪ valid`` (``holdout=True``: what
   ``graphrec evaluate`` scores on the test pairs) or on every interaction (``holdout=False``: what
   ``graphrec train`` deploys);
3. the artefact carries the final model's vectors, its exact top-K where the vectors only approximate the
   scores, the exclusion pairs (every interaction the users have, below-``min_weight`` ones included),
   metrics and ``train_pairs``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from graphrec.artefact import Artefact
from graphrec.loaders.types import RecGraph
from graphrec.ranking import top_unseen
from graphrec.train import distributed
from graphrec.train.base import Fitted, Recommender, Scorer, Selection, TopK
from graphrec.train.config import TrainConfig
from graphrec.train.head import head_view
from graphrec.train.loop import check_graph, resolve_device
from graphrec.train.protocols import protocol_metrics
from graphrec.train.registry import model_class
from graphrec.train.rerank import CoverageRerank
from graphrec.train.sampling import carve_validation, sample_users


@dataclass
class FitReport:
    """How a fit went (timings and choices), kept in the artefact's ``info`` too."""

    seconds: dict[str, float] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)
    refit: dict[str, Any] = field(default_factory=dict)
    carved_valid: bool = False


def union_pairs(*parts: Tensor, num_items: int) -> Tensor:
    """Distinct (user, item) pairs of all ``parts``, sorted by user then item."""
    cat = torch.cat([p.long().cpu() for p in parts], 1)
    if cat.numel() == 0:
        return cat.reshape(2, 0)
    keys = torch.unique(cat[0] * num_items + cat[1])
    return torch.stack([keys // num_items, keys % num_items])


TOP_PROGRESS_S = 30.0
"""Seconds between :func:`top_scored`'s progress lines (with ``label``)."""


def top_scored(score: Scorer, num_users: int, exclude: Tensor, k: int, batch_size: int = 1024,
               top: TopK | None = None, label: str = "",
               rerank: CoverageRerank | None = None) -> tuple[Tensor, Tensor]:
    """Top-``k`` unseen items of every user: ``([U, k] items (-1 pads), [U, k] scores)``, exact from the scorer,
    or from ``top`` where the model has one (:attr:`Fitted.top`); with ``rerank``, every user's window ranked
    first and the lists re-ranked together (:mod:`graphrec.train.rerank`). With ``label``, a line on stderr every
    :data:`TOP_PROGRESS_S` seconds: users done, share, elapsed and the time left at that pace."""
    from graphrec.train.metrics import _by_position

    users = torch.arange(num_users)
    pos, item, bounds = _by_position(exclude.cpu(), users)
    out_i, out_s = [], []
    width = k if rerank is None else max(k, rerank.window)
    start = last = time.perf_counter()
    for s in range(0, num_users, batch_size):
        now = time.perf_counter()
        if label and s and now - last >= TOP_PROGRESS_S:
            last = now
            left = (now - start) * (num_users - s) / s
            print(f"  {label}: {s:,} / {num_users:,} users ({100 * s / num_users:.0f}%) in {now - start:.0f} s, "
                  f"≈ {left:.0f} s left", file=sys.stderr, flush=True)
        e = min(s + batch_size, num_users)
        a, b = int(bounds[s]), int(bounds[e])
        if top is not None:
            idx, best = top(users[s:e], (pos[a:b] - s, item[a:b]), width)
        else:
            idx, best = top_unseen(score(users[s:e]).float().cpu(), pos[a:b] - s, item[a:b], width)
        out_i.append(idx)
        out_s.append(best)
    items, scores = torch.cat(out_i), torch.cat(out_s)
    if rerank is not None:      # every user's window first, then the lists re-ranked together
        items, scores = rerank(items, scores)
        items, scores = items[:, :k], scores[:, :k]
    return items, torch.where(torch.isinf(scores), torch.zeros_like(scores), scores)


def _say(progress: bool, text: str) -> None:
    """One stage line on stderr (only with ``progress``), beside the selection trials' own lines."""
    if progress:
        print(f"  {text}", file=sys.stderr, flush=True)


def fit(graph: RecGraph, cfg: TrainConfig | None = None, progress: bool = True, *, holdout: bool = True,
        model: str | None = None) -> Artefact:
    """Fit a registry model on ``graph`` by the select → refit protocol and return its :class:`Artefact`.

    Args:
        graph: the graph streamed out of Neo4j.
        cfg: settings (default: ``TrainConfig()``: the default model).
        progress: show progress bars (default: ``True``).
        holdout: ``True`` refits on train + valid and scores the test pairs (evaluation); ``False`` refits on
            every interaction, test pairs included (deployment) (default: ``True``).
        model: overrides ``cfg.model``.

    Returns:
        The artefact; ``metrics["valid"]`` is the chosen setting's validation score, ``metrics["test"]`` the
        refit model's test score (empty without test pairs or with ``holdout=False``), accuracy and beyond
        (coverage, Gini, popularity); under the ``cold-items`` protocol
        (:func:`graphrec.train.protocols.apply_protocol`) ``metrics["cold"]`` ranks among the cold items only,
        and ``cfg.by_activity`` adds ``metrics["activity <10"]``, ….

    Raises:
        ValueError: malformed splits or settings.
    """
    cfg = cfg or TrainConfig()
    if model is not None and model != cfg.model:
        from dataclasses import replace

        cfg = replace(cfg, model=model)
    check_graph(graph)
    t0 = time.perf_counter()
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    recommender = model_class(cfg.model)(cfg, device)
    report = FitReport()
    chosen = _select(graph, recommender, report, progress)
    pairs, fitted = _refit(graph, recommender, chosen, holdout, report, progress)
    metrics = {"valid": chosen.valid, **_test(graph, recommender, fitted, pairs, holdout, report, progress)}
    below = getattr(graph, "below_min_weight", None)   # seen by the user, but under its behaviour's min_weight
    exclude = union_pairs(graph.train, graph.valid, graph.test, *([below] if below is not None else []),
                          num_items=graph.num_items)
    top = _top_k(graph, recommender, fitted, exclude, report, progress)
    report.seconds["total"] = time.perf_counter() - t0
    report.selection = {**report.selection, "params": chosen.params, **chosen.info}
    report.refit = fitted.info
    return Artefact(
        model=cfg.model, user_type=graph.user_type, item_type=graph.item_type,
        ids={t: list(v) for t, v in graph.ids.items()},
        user_emb=fitted.user_emb.detach().cpu().float().contiguous(),
        item_emb=fitted.item_emb.detach().cpu().float().contiguous(),
        exclude=exclude, train_pairs=int(pairs.size(1)),
        entity_emb={t: v.detach().cpu().float().contiguous() for t, v in fitted.entity_emb.items()},
        top_items=top[0] if top else None, top_scores=top[1] if top else None,
        item_fold=fitted.item_fold.detach().cpu().float().contiguous() if fitted.item_fold is not None else None,
        params={**cfg.to_dict(), "chosen": chosen.params}, metrics=metrics,
        info={"seconds": {k: round(v, 3) for k, v in report.seconds.items()}, "selection": report.selection,
              "refit": report.refit, "carved_valid": report.carved_valid, "holdout": holdout,
              "protocol": graph.protocol, "behaviours": list(graph.behaviours), "fold": recommender.fold},
    )


def _select(graph: RecGraph, recommender: Recommender, report: FitReport, progress: bool) -> Selection:
    """Step 1: choose on the validation pairs (or a carve of the training pairs), on the head where the
    model chooses there."""
    t0 = time.perf_counter()
    cfg = recommender.cfg
    if graph.valid.size(1):
        sel_train, sel_valid = graph.train.long().cpu(), graph.valid.long().cpu()
    else:
        sel_train, sel_valid = carve_validation(graph.train, graph.num_users, cfg.valid_fraction, cfg.seed)
        report.carved_valid = True
    sel_valid = sample_users(sel_valid, cfg.valid_users, cfg.seed)
    sel_graph = graph
    if recommender.head_selection(graph.num_items):   # choose on the head, refit on all
        sel_graph, sel_train, sel_valid = head_view(graph, sel_train, sel_valid, cfg.search_items)
        report.selection["items"] = sel_graph.num_items
    _say(progress, f"{cfg.model}: selection on {sel_graph.num_items:,} items, {sel_valid.size(1):,} validation pairs…")
    chosen = distributed.agree(recommender.select(sel_graph, sel_train, sel_valid, progress))   # rank 0's
    report.seconds["select"] = time.perf_counter() - t0
    return chosen


def _refit(graph: RecGraph, recommender: Recommender, chosen: Selection, holdout: bool, report: FitReport,
           progress: bool) -> tuple[Tensor, Fitted]:
    """Step 2: the chosen setting fitted on train + valid (+ test without ``holdout``): ``(pairs, fitted)``."""
    t1 = time.perf_counter()
    name = recommender.cfg.model
    parts = [graph.train, graph.valid] + ([] if holdout else [graph.test])
    pairs = union_pairs(*parts, num_items=graph.num_items)
    _say(progress, f"{name}: selected in {report.seconds['select']:.1f} s; refit on {pairs.size(1):,} pairs…")
    fitted = recommender.refit(graph, pairs, chosen, progress)
    report.seconds["refit"] = time.perf_counter() - t1
    _say(progress, f"{name}: refit in {report.seconds['refit']:.1f} s")
    return pairs, fitted


def _test(graph: RecGraph, recommender: Recommender, fitted: Fitted, pairs: Tensor, holdout: bool,
          report: FitReport, progress: bool) -> dict[str, dict[str, float]]:
    """Step 3: the refit model's full-ranking metrics on the test pairs under the graph's protocol
    (:func:`~graphrec.train.protocols.protocol_metrics`; ``{"test": {}}`` without ``holdout``)."""
    if not (holdout and graph.test.size(1)):
        return {"test": {}}
    cfg = recommender.cfg
    t2 = time.perf_counter()
    ks = tuple(sorted(set(cfg.ks) | {20}, reverse=True))
    metrics = protocol_metrics(graph, fitted.scorer, pairs, ks, recommender.score_batch(graph.num_items),
                               cfg.by_activity, fitted.rerank)
    report.seconds["test"] = time.perf_counter() - t2
    test = metrics["test"]
    _say(progress, f"{cfg.model}: test pairs scored in {report.seconds['test']:.1f} s: Recall@20 "
                   f"{test.get('recall@20', float('nan')):.4f}, NDCG@20 {test.get('ndcg@20', float('nan')):.4f}")
    return metrics


def _top_k(graph: RecGraph, recommender: Recommender, fitted: Fitted, exclude: Tensor, report: FitReport,
           progress: bool) -> tuple[Tensor, Tensor] | None:
    """Step 4: the exact top-K from the scorer where the vectors only approximate the scores or the lists are
    re-ranked together (else ``None``)."""
    if fitted.exact and fitted.rerank is None:
        return None
    cfg = recommender.cfg
    t3 = time.perf_counter()
    _say(progress, f"{cfg.model}: top-{cfg.top_k} of {graph.num_users:,} users…")
    top = top_scored(fitted.scorer, graph.num_users, exclude, cfg.top_k, recommender.score_batch(graph.num_items),
                     fitted.top, label=f"{cfg.model}: top-{cfg.top_k}" if progress else "", rerank=fitted.rerank)
    report.seconds["top_k"] = time.perf_counter() - t3
    _say(progress, f"{cfg.model}: top-{cfg.top_k} in {report.seconds['top_k']:.1f} s")
    if fitted.top is not None:
        k = min(20, cfg.top_k)
        share = top_agreement(fitted.scorer, fitted.top, graph.num_users, exclude, k, cfg.seed)
        fitted.info[f"top_k_agreement@{k}"] = round(share, 4)
        _say(progress, f"{cfg.model}: the candidates' top-{k} holds {100 * share:.1f}% of the exact top-{k} "
                       f"({min(graph.num_users, AGREEMENT_USERS)} sampled users scored over every item)")
    return top


AGREEMENT_USERS, AGREEMENT_CHUNK = 256, 32
"""Users whose exact top-K (every item scored, ``AGREEMENT_CHUNK`` at a time) checks a candidate top-K
(:func:`top_agreement`)."""


def top_agreement(score: Scorer, top: TopK, num_users: int, exclude: Tensor, k: int, seed: int) -> float:
    """Share of the exact top-``k`` (``score`` over every item) that ``top`` (a model's candidate top-K) finds,
    averaged over :data:`AGREEMENT_USERS` seeded users: what scoring candidates only costs in recommendations."""
    gen = torch.Generator().manual_seed(seed)
    users = torch.randperm(num_users, generator=gen)[:AGREEMENT_USERS].sort().values
    ex = exclude.long().cpu()
    shares: list[Tensor] = []
    for chunk in torch.split(users, AGREEMENT_CHUNK):     # [chunk, items] scores at a time
        keep = torch.isin(ex[0], chunk)
        pos, item = torch.searchsorted(chunk, ex[0][keep]), ex[1][keep]
        exact = top_unseen(score(chunk).float().cpu(), pos, item, k)[0]
        got = top(chunk, (pos, item), k)[0]
        real = exact >= 0
        found, has = ((got.unsqueeze(2) == exact.unsqueeze(1)).any(1) & real).sum(1), real.sum(1)
        shares.append(found[has > 0] / has[has > 0])
    every = torch.cat(shares)
    return float(every.mean()) if every.numel() else 1.0
