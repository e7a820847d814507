"""``graph``'s cold items: content similarity in their columns, then a boost onto the warm items' scale.

An item nobody has interacted with still has a column in ``graph``'s operator, from its side rows (its entities
as pseudo-users, its text in the Gram matrix), but a weak one, and far smaller than a warm item's: on ml-100k's
``cold-items`` protocol (seed 2020) the cold items ranked *among themselves* below ``content`` (Recall@20 0.1414
against 0.1930) and never reached a top-20 among all items (0.0000). Two changes, applied at scoring time to the
items without a training pair only (their columns of ``B`` and rows of each low-rank ``R``, so RECOMMENDED and the
published vectors carry them), each chosen on a *pseudo-cold* carve of the selection pairs — a seeded share of the
warm items, as large as the cold items' share of the catalogue, lose their training pairs, which become
validation positives, as DropoutNet simulates cold items by withholding warm items' preference input (Volkovs, Yu
& Poutanen, "DropoutNet: Addressing Cold Start in Recommender Systems", NeurIPS 2017):

* **blend** (:func:`choose_blend`): each cold column becomes ``(1 - α)·`` its own ``+ α·`` the item's content
  similarity column (``content``'s item vectors, all items or an item-kNN, Deshpande & Karypis 2004), on one
  scale; the similarity and ``α`` maximise Recall@20 among the pseudo-cold items. It moves no warm score.
* **boost** (:func:`choose_boost`): the cold scores times ``m · r``; ``r`` calibrates (over a sample of users, the
  mean best unseen warm score over the mean best cold score), ``m`` (:data:`BOOST_STEPS`, 0 = none) is the best
  Recall@20 of the pseudo-cold pairs ranked among all items, among the steps whose Recall@20 on the other
  validation pairs loses at most a budget (``TrainConfig.cold_boost``; 0 by default: no warm loss at all on
  validation; 1: the cold pairs alone decide).

A graph without items lacking a training pair fits exactly as without either.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.train.content import item_vectors, knn_matrix
from graphrec.train.metrics import rank_scored
from graphrec.train.operator import Operator
from graphrec.train.protocols import cold_items_split
from graphrec.train.search import search

BOOST_STEPS = tuple(round(2 ** (h / 2), 4) for h in range(-6, 5))
"""Boosts tried after none, as multiples of the calibrated ratio ``r``: ⅛ to 4 in steps of √2 (at 1 a user's best
cold item scores like their best warm item on average)."""
CARVE_SEED_STEP = 7_919
"""Added to the fit's seed for the pseudo-cold carve (a different draw from the validation carve's)."""


def zero_degree(pairs: Tensor, num_items: int) -> Tensor:
    """The items without a pair in ``pairs``, sorted."""
    deg = torch.bincount(pairs[1].long().cpu(), minlength=num_items)
    return torch.nonzero(deg == 0).flatten()


def cold_ratio(op: Operator, inp: sp.csr_matrix, cold: Tensor) -> float:
    """``r``: the mean best unseen warm score over the mean best cold score of a sample of users (1.0 where
    either is not positive)."""
    n_users, n = inp.shape
    sample = inp[np.arange(0, n_users, max(1, n_users // 512))]
    s = op.apply(sample)
    r, c = sample.nonzero()
    s[torch.from_numpy(r.astype(np.int64)), torch.from_numpy(c.astype(np.int64))] = float("-inf")
    is_cold = torch.zeros(n, dtype=torch.bool)
    is_cold[cold] = True
    warm, best = s[:, ~is_cold].max(dim=1).values, s[:, is_cold].max(dim=1).values
    ok = torch.isfinite(warm) & torch.isfinite(best)
    top, low = (float(warm[ok].mean()), float(best[ok].mean())) if ok.any() else (0.0, 0.0)
    return top / low if top > 0 and low > 0 else 1.0


BLENDS = (0.0, 0.25, 0.5, 0.75)
"""Shares of the content similarity in the cold items' columns tried after 1 (:func:`choose_blend`)."""
SIMILARITIES = ((0.5, 10), (1.0, 10), (0.5, 50), (1.0, 50), (1.0, 0))
"""``(entity weight, k)`` of the content similarity tried first (``k`` 0: every item, else each item's ``k`` most
similar: ``content``'s two modes)."""


def content_columns(text: Tensor | None, ents: Tensor | None, cold: Tensor, weight: float = 1.0,
                    k: int = 0) -> Tensor | None:
    """``[I, c]`` similarity of every item to each of the ``cold`` items by ``content``'s item vectors (text, and
    entities at ``weight``: :func:`graphrec.train.content.item_vectors`): the cosine (negatives clipped) or, with
    ``k``, only where the cold item is among the item's ``k`` most similar (``None`` without text or entities)."""
    if text is None and ents is None:
        return None
    f = item_vectors(text, ents, {"text": 1.0, "entities": weight})
    if k:
        return torch.from_numpy(np.asarray(knn_matrix(f, k)[:, cold.numpy()].toarray(), dtype=np.float32))
    return (f @ f[cold].T).clamp_(min=0)


def _mean_best(scores: Tensor) -> float:
    """The mean over users (rows) of their best score, where finite; 0 where none is."""
    best = scores.max(dim=1).values
    ok = torch.isfinite(best)
    return float(best[ok].mean()) if ok.any() else 0.0


def _times(rows: sp.csr_matrix, dense: Tensor) -> Tensor:
    return torch.from_numpy(np.asarray(rows @ dense.numpy(), dtype=np.float32))


def blend_scale(op: Operator, inp: sp.csr_matrix, cold: Tensor, sim: Tensor) -> float:
    """What puts ``x_u · sim`` on the scale of ``op``'s cold scores: the ratio of their mean best cold score on a
    user sample (1.0 where either is not positive)."""
    n_users = inp.shape[0]
    sample = inp[np.arange(0, n_users, max(1, n_users // 512))]
    own = _mean_best(op.apply(sample)[:, cold])
    theirs = _mean_best(_times(sample, sim))
    return own / theirs if own > 0 and theirs > 0 else 1.0


def blend_columns(op: Operator, inp: sp.csr_matrix, cold: Tensor, sim: Tensor, alpha: float) -> Operator:
    """``op`` with each cold item's column ``(1 - α)·`` its own ``+ α·`` its column of ``sim`` (``[I, c]``), the two
    put on one scale first (:func:`blend_scale`), in place (dense ``B``)."""
    if not isinstance(op.b, Tensor):
        raise ValueError("blend_columns: the dense path's operator only")
    scale = alpha * blend_scale(op, inp, cold, sim) / op.b_scale
    boost_columns(op, cold, 1.0 - alpha)
    op.b[:, cold] += sim * scale
    return op


Similarity = Callable[[float, int], "Tensor | None"]
"""``(entity weight, k) ↦`` :func:`content_columns` of the items without a training pair."""


def choose_blend(op: Operator, inp: sp.csr_matrix, carve: ColdCarve, sims: Similarity, batch: int,
                 progress: bool) -> dict[str, Any]:
    """``{"cold_blend": α, "cold_sim": [weight, k], "blend_search": rows}``: the content similarity (first, alone:
    :data:`SIMILARITIES`) and its share ``α`` in the columns of the items without a pair in ``carve.train`` (then
    :data:`BLENDS`) with the best Recall@20 *among those items* on the pseudo-cold pairs (the blend moves no warm
    score)."""
    n = int(inp.shape[1])
    zero = zero_degree(carve.train, n)
    rows: list[dict[str, Any]] = []
    cache: dict[tuple[float, int], tuple[Tensor, float]] = {}

    def trial(cand: tuple[float, float, int]) -> float:
        alpha, weight, k = cand
        if (weight, k) not in cache:
            sim = sims(weight, k)
            assert sim is not None
            cache[(weight, k)] = sim, blend_scale(op, inp, zero, sim)
        sim, scale = cache[(weight, k)]

        def score(users: Tensor) -> Tensor:
            x = inp[users.long().cpu().numpy()]
            s = op.apply(x)
            s[:, zero] = (1 - alpha) * s[:, zero] + (alpha * scale) * _times(x, sim)
            return s

        r = rank_scored(score, n, carve.cold_valid, [carve.train], (20,), batch, items=zero)["recall@20"]
        rows.append({"cold_blend": alpha, "entities": weight, "k": k, "cold_only_recall@20": r})
        return r

    best = search([(1.0, w, k) for w, k in SIMILARITIES], trial, float, label="graph cold similarity",
                  progress=progress)
    assert best.candidate is not None
    _, weight, k = best.candidate
    best = search([(a, weight, k) for a in BLENDS], trial, float, best=best, label="graph cold blend",
                  progress=progress)
    assert best.candidate is not None
    return {"cold_blend": best.candidate[0], "cold_sim": [best.candidate[1], best.candidate[2]], "blend_search": rows}


def boost_columns(op: Operator, items: Tensor, factor: float | Tensor) -> Operator:
    """``op`` scoring each of ``items`` ``factor`` times higher (one factor, or one per item): its columns of the
    dense ``B`` scaled in place, each low-rank ``R``'s rows in a copy."""
    if not isinstance(op.b, Tensor):
        raise ValueError("boost_columns: the dense path's operator only")
    f = factor.float() if isinstance(factor, Tensor) else torch.full((items.numel(),), float(factor))
    op.b[:, items] *= f
    lows = []
    for left, right, s in op.lows:
        right = right.clone()
        right[items] *= f.unsqueeze(1)
        lows.append((left, right, s))
    op.lows = lows
    return op


@dataclass
class ColdCarve:
    """The pseudo-cold carve of the selection pairs.

    Attributes:
        train: the training pairs less every pair of the pseudo-cold items.
        cold_valid: the pseudo-cold items' pairs (training and validation).
        warm_valid: the other items' validation pairs.
    """

    train: Tensor
    cold_valid: Tensor
    warm_valid: Tensor


def pseudo_cold(train: Tensor, valid: Tensor, share: float, seed: int) -> ColdCarve:
    """A seeded ``share`` of the items of ``train`` made cold (:func:`~graphrec.train.protocols.cold_items_split`)."""
    rest, held, items = cold_items_split(train, seed, share)
    valid = valid.long().cpu()
    in_cold = torch.isin(valid[1], items)
    return ColdCarve(rest, torch.cat([held, valid[:, in_cold]], 1), valid[:, ~in_cold])


def choose_boost(op: Operator, inp: sp.csr_matrix, carve: ColdCarve, budget: float, batch: int,
                 progress: bool) -> dict[str, Any]:
    """``{"cold_boost": m, "cold_search": rows}`` for ``op`` fitted on ``carve.train`` (``inp`` its rows), whose warm
    validation Recall@20 loses at most ``budget`` (relative) against no boost."""
    n = int(inp.shape[1])
    zero = zero_degree(carve.train, n)
    ratio = cold_ratio(op, inp, zero)
    rows: list[dict[str, float]] = []

    def trial(m: float) -> tuple[float, float]:
        factor = m * ratio if m else 1.0

        def score(users: Tensor) -> Tensor:
            s = op.apply(inp[users.long().cpu().numpy()])
            s[:, zero] *= factor
            return s

        cold = rank_scored(score, n, carve.cold_valid, [carve.train], (20,), batch)["recall@20"]
        warm = rank_scored(score, n, carve.warm_valid, [carve.train], (20,), batch)["recall@20"]
        rows.append({"cold_boost": m, "factor": factor, "cold_recall@20": cold, "warm_recall@20": warm})
        return cold, warm

    def within_budget(result: tuple[float, float]) -> float:
        return result[0] if result[1] >= (1 - budget) * rows[0]["warm_recall@20"] else float("-inf")

    best = search((0.0, *BOOST_STEPS), trial, within_budget, label="graph cold boost", progress=progress)
    if progress:
        print(f"  graph cold boost: {best.candidate} × {ratio:.3g} on {zero.numel():,} items without a "
              "training pair", file=sys.stderr, flush=True)
    return {"cold_boost": float(best.candidate or 0.0), "cold_search": rows}
