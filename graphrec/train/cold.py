"""``graph``'s cold items: content (or content neighbours') columns, then a boost onto the warm items' scale.

An item nobody has interacted with still has a column in ``graph``'s operator, from its side rows (its entities
as pseudo-users, its text in the Gram matrix), but a weak one, and far smaller than a warm item's: on ml-100k's
``cold-items`` protocol (seed 2020) the cold items ranked *among themselves* below ``content`` (Recall@20 0.1414
against 0.1930) and never reached a top-20 among all items (0.0000). Two changes, applied at scoring time to the
items without a training pair only (their columns of ``B`` and rows of each low-rank ``R``, so RECOMMENDED and the
published vectors carry them), each chosen on a *pseudo-cold* carve of the selection pairs — a seeded share of the
warm items, as large as the cold items' share of the catalogue, lose their training pairs, which become
validation positives, as DropoutNet simulates cold items by withholding warm items' preference input (Volkovs, Yu
& Poutanen, "DropoutNet: Addressing Cold Start in Recommender Systems", NeurIPS 2017):

* **blend** (:func:`choose_blend`): each cold column becomes ``(1 - α)·`` its own ``+ α·`` a content column, on
  one scale: either the item's content similarity column (``content``'s item vectors, all items or an item-kNN,
  Deshpande & Karypis 2004) or a column *borrowed* from its content neighbours (:func:`borrowed_columns`: the
  similarity-weighted mean of the operator's columns of its ``k`` most similar warm items, so the collaborative
  signal of the graph reaches it: on ml-100k's ``cold-items`` protocol, seed 2020, Recall@20 among the cold
  items 0.2902 against ``content``'s 0.1930); the column and ``α`` maximise Recall@20 among the pseudo-cold
  items. It moves no warm score.
* **boost** (:func:`choose_boost`): the cold scores times ``m · r``; ``r`` calibrates (over a sample of users, the
  mean best unseen warm score over the mean best cold score), ``m`` (:data:`BOOST_STEPS`, 0 = none) is the best
  Recall@20 of the pseudo-cold pairs ranked among all items, among the steps whose Recall@20 and NDCG@20 on the
  other validation pairs each lose at most a budget (``TrainConfig.cold_boost``; 0.005 by default; 0: no warm loss
  at all; 1: the cold pairs alone decide). On ml-100k u1 a 0.5% budget on Recall@20 alone cost test NDCG@20
  0.0016, on both metrics 0.0008.

A graph without items lacking a training pair fits exactly as without either.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
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

BOOST_STEPS = tuple(round(2 ** (h / 4), 4) for h in range(-12, 9))
"""Boosts tried after none, as multiples of the calibrated ratio ``r``: ⅛ to 4 in steps of 2^¼ (at 1 a user's best
cold item scores like their best warm item on average). Steps of √2 left most of a 1% warm budget unused: on
ml-100k the warm loss jumped from 0.2% to 1.7% between two steps."""
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
    idx = np.arange(0, n_users, max(1, n_users // 512))
    s = op.score_rows(inp, idx)
    r, c = inp[idx].nonzero()
    s[torch.from_numpy(r.astype(np.int64)), torch.from_numpy(c.astype(np.int64))] = float("-inf")
    is_cold = torch.zeros(n, dtype=torch.bool)
    is_cold[cold] = True
    warm, best = s[:, ~is_cold].max(dim=1).values, s[:, is_cold].max(dim=1).values
    ok = torch.isfinite(warm) & torch.isfinite(best)
    top, low = (float(warm[ok].mean()), float(best[ok].mean())) if ok.any() else (0.0, 0.0)
    return top / low if top > 0 and low > 0 else 1.0


BLENDS = (0.0, 0.25, 0.5, 0.75)
"""Shares of the content similarity in the cold items' columns tried after 1 (:func:`choose_blend`)."""
SIMILARITIES = ((0.5, 10, 0.0), (1.0, 10, 0.0), (0.5, 50, 0.0), (1.0, 50, 0.0), (1.0, 0, 0.0),
                *((w, k, p) for w in (0.5, 1.0) for k in (5, 10, 50) for p in (1.0, 3.0)))
"""``(entity weight, k, power)`` of the cold columns tried first. Power 0: the content similarity (``k`` 0: every
item, else each item's ``k`` most similar: ``content``'s two modes); power ``p > 0``: *borrowed* columns
(:func:`borrowed_columns`) from each cold item's ``k`` most similar warm items, weighted by similarity to the
power ``p``."""


Similarity = Callable[[float, int], "Tensor | None"]
"""``(entity weight, k) ↦`` :func:`content_columns` of the items without a training pair."""


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


def borrow_weights(sim: Tensor, warm: Tensor, k: int, power: float) -> Tensor:
    """``[I, c]`` weights of each cold item's column (``sim``: every item's content similarity to it, ``[I, c]``)
    on its ``k`` most similar items among ``warm`` (a ``[I]`` mask; ties at the k-th kept), similarity to the
    ``power``, each column summing to 1 (0 where no warm item is similar)."""
    w = torch.where(warm.unsqueeze(1), sim.clamp(min=0), torch.zeros_like(sim)).pow_(power)
    if 0 < k < int(warm.sum()):
        kth = w.topk(k, dim=0).values[-1:]
        w = torch.where(w >= kth, w, torch.zeros_like(w))
    return w / w.sum(0, keepdim=True).clamp(min=1e-12)


def borrowed_columns(op: Operator, sim: Tensor, warm: Tensor, k: int, power: float) -> Tensor:
    """``[I, c]`` cold columns *borrowed* from the collaborative columns of each cold item's content neighbours: the
    ``op`` columns of its ``k`` most similar ``warm`` items averaged with :func:`borrow_weights` (``op``'s low-rank
    parts included), so ``x_u`` times a column is the weighted mean of the user's scores of those warm items. The
    graph's collaborative signal reaches the cold item through its text and entities, where the content
    similarity alone only compares it to the user's own items."""
    w = borrow_weights(sim, warm, k, power)
    return op.matvec(sp.csr_matrix(w.numpy()) if k else w)     # k per column: a product of items · k · columns


def cold_columns(op: Operator, sims: Similarity, cold: Tensor, spec: Sequence[float]) -> Tensor | None:
    """The ``[I, c]`` columns :func:`blend_columns` blends into the ``cold`` items' by ``spec`` — ``(entity weight,
    k, power)`` of :data:`SIMILARITIES` (a 2-element spec: power 0) — from ``op`` before the blend."""
    weight, k, power = float(spec[0]), int(spec[1]), float(spec[2]) if len(spec) > 2 else 0.0
    if not power:
        return sims(weight, k)
    sim = sims(weight, 0)
    if sim is None:
        return None
    warm = torch.ones(sim.size(0), dtype=torch.bool)
    warm[cold] = False
    return borrowed_columns(op, sim, warm, k, power)


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
    idx = np.arange(0, n_users, max(1, n_users // 512))
    own = _mean_best(op.score_rows(inp, idx)[:, cold])
    theirs = _mean_best(_times(inp[idx], sim))
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




def choose_blend(op: Operator, inp: sp.csr_matrix, carve: ColdCarve, sims: Similarity, batch: int,
                 progress: bool) -> dict[str, Any]:
    """``{"cold_blend": α, "cold_sim": [weight, k, power], "blend_search": rows}``: the cold columns (first, alone:
    :data:`SIMILARITIES`, content similarity or borrowed) and their share ``α`` in the columns of the items without
    a pair in ``carve.train`` (then :data:`BLENDS`) with the best Recall@20 *among those items* on the pseudo-cold
    pairs (the blend moves no warm score)."""
    n = int(inp.shape[1])
    zero = zero_degree(carve.train, n)
    rows: list[dict[str, Any]] = []
    # the best columns so far and the latest: an [I, c] tensor per candidate is 6 GB over lastfm-2k's 17 (5,165 cold)
    kept: dict[tuple[float, int, float], tuple[Tensor, float]] = {}
    leader: dict[tuple[float, int, float], float] = {}      # the best key so far and its Recall@20

    def trial(cand: tuple[float, float, int, float]) -> float:
        alpha, weight, k, power = cand
        key = (weight, k, power)
        if key not in kept:
            for old in [o for o in kept if o not in leader]:
                del kept[old]
            sim = cold_columns(op, sims, zero, key)
            assert sim is not None
            kept[key] = sim, blend_scale(op, inp, zero, sim)
        sim, scale = kept[key]

        def score(users: Tensor) -> Tensor:
            idx = users.long().cpu().numpy()
            x = inp[idx]
            s = op.score_rows(inp, idx)
            s[:, zero] = (1 - alpha) * s[:, zero] + (alpha * scale) * _times(x, sim)
            return s

        r = rank_scored(score, n, carve.cold_valid, [carve.train], (20,), batch, items=zero)["recall@20"]
        rows.append({"cold_blend": alpha, "entities": weight, "k": k, "power": power, "cold_only_recall@20": r})
        if r > max(leader.values(), default=float("-inf")):
            leader.clear()
            leader[key] = r
        return r

    best = search([(1.0, w, k, p) for w, k, p in SIMILARITIES], trial, float, label="graph cold similarity",
                  progress=progress)
    assert best.candidate is not None
    _, weight, k, power = best.candidate
    best = search([(a, weight, k, power) for a in BLENDS], trial, float, best=best, label="graph cold blend",
                  progress=progress)
    assert best.candidate is not None
    return {"cold_blend": best.candidate[0], "cold_sim": list(best.candidate[1:]), "blend_search": rows}


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
    validation Recall@20 and NDCG@20 each lose at most ``budget`` (relative) against no boost."""
    n = int(inp.shape[1])
    zero = zero_degree(carve.train, n)
    ratio = cold_ratio(op, inp, zero)
    rows: list[dict[str, float]] = []

    def trial(m: float) -> tuple[float, float, float]:
        factor = m * ratio if m else 1.0

        def score(users: Tensor) -> Tensor:
            s = op.score_rows(inp, users.long().cpu().numpy())
            s[:, zero] *= factor
            return s

        cold = rank_scored(score, n, carve.cold_valid, [carve.train], (20,), batch)["recall@20"]
        warm = rank_scored(score, n, carve.warm_valid, [carve.train], (20,), batch)
        rows.append({"cold_boost": m, "factor": factor, "cold_recall@20": cold,
                     "warm_recall@20": warm["recall@20"], "warm_ndcg@20": warm["ndcg@20"]})
        return cold, warm["recall@20"], warm["ndcg@20"]

    def within_budget(result: tuple[float, float, float]) -> float:
        ok = all(result[j] >= (1 - budget) * rows[0][key] for j, key in ((1, "warm_recall@20"), (2, "warm_ndcg@20")))
        return result[0] if ok else float("-inf")

    # a larger boost moves more cold items above warm ones: once a step overspends the warm budget every later
    # step does (on ml-100k u1 the warm figures fell at every step past the first loss, 3 seeds)
    best = search((0.0, *BOOST_STEPS), trial, within_budget, label="graph cold boost", progress=progress,
                  stop=lambda r: within_budget(r) == float("-inf"))
    if progress:
        print(f"  graph cold boost: {best.candidate} × {ratio:.3g} on {zero.numel():,} items without a "
              "training pair", file=sys.stderr, flush=True)
    return {"cold_boost": float(best.candidate or 0.0), "cold_search": rows}
