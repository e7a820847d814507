"""``graph``'s cold boost: the items without a training interaction scored on the warm items' scale.

An item nobody has interacted with still has a column in ``graph``'s operator, from its side rows (its entities
as pseudo-users, its text in the Gram matrix), but a far smaller one than a warm item's, whose column the
interactions build: on ml-100k's ``cold-items`` protocol (seed 2020) the cold items ranked well *among
themselves* (Recall@20 0.1414) and never reached a top-20 among all items (0.0000). The boost multiplies those
items' scores by ``m · r`` at scoring time (their columns of ``B`` and rows of each low-rank ``R``, so the
published vectors carry it too):

* ``r`` calibrates: over a sample of users, the mean best unseen warm score over the mean best cold score;
* ``m`` (:data:`BOOST_STEPS`, 0 = no boost) is chosen on a *pseudo-cold* carve of the selection pairs: a seeded
  share of the warm items, as large as the cold items' share of the catalogue, lose their training pairs, which
  become validation positives, as DropoutNet simulates cold items by withholding warm items' preference input
  (Volkovs, Yu & Poutanen, "DropoutNet: Addressing Cold Start in Recommender Systems", NeurIPS 2017). The chosen
  ``m`` has the best Recall@20 on those pairs (ranked among all items) among the steps whose Recall@20 on the
  other validation pairs loses at most a budget (``TrainConfig.cold_boost``, 1% by default) against no boost.

Items with a training interaction are never touched: a graph without cold items fits exactly as without the
boost.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

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
