"""``graph``'s popularity debiasing: scores divided by the items' popularity to a power chosen on validation.

A recommender fitted for accuracy concentrates its top-K on the head of the catalogue (issue #21: 54% of a
MovieLens export's recommendations went to its 100 most-rated films). Dividing each item's score by its training
popularity to a power ``β`` — ``s_ui / (d_i / d̄)^β`` with ``d_i`` the item's training interactions and ``d̄`` their
mean over the items that have some — trades a little accuracy for a longer tail: the popularity-compensated scoring
of Steck ("Item Popularity and Recommendation Accuracy", RecSys 2011) and the popularity-penalising re-ranking
Abdollahpouri, Burke & Mobasher study ("Managing Popularity Bias in Recommender Systems with Personalized
Re-ranking", FLAIRS 2019). ``β`` is the largest catalogue coverage@20 on the validation pairs among the
:data:`BETAS` whose validation Recall@20 loses at most a budget (``TrainConfig.pop_debias``) against ``β = 0``.

The factor is folded into the operator's columns like the cold boost (:func:`graphrec.train.cold.boost_columns`),
so RECOMMENDED and the vectors carry it; items without a training interaction keep factor 1 (the cold boost
scales them).
"""

from __future__ import annotations

import sys
from typing import Any

import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.train.cold import boost_columns
from graphrec.train.metrics import rank_scored
from graphrec.train.operator import Operator
from graphrec.train.search import search

BETAS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0)
"""Exponents tried after ``β = 0``, in order (the search stops at the second in a row past the budget)."""


def pop_factors(pairs: Tensor, num_items: int, beta: float) -> tuple[Tensor, Tensor]:
    """``(items, factors)``: the items with a pair in ``pairs`` and ``(d_i / d̄)^-β`` for each."""
    deg = torch.bincount(pairs[1].long().cpu(), minlength=num_items).double()
    items = torch.nonzero(deg > 0).flatten()
    d = deg[items]
    return items, (d / d.mean()).pow(-beta).float()


def debias(op: Operator, pairs: Tensor, num_items: int, beta: float) -> Operator:
    """``op`` with each warm item's score divided by its relative popularity to the power ``beta`` (in place)."""
    items, factors = pop_factors(pairs, num_items, beta)
    return boost_columns(op, items, factors)


def choose_beta(op: Operator, inp: sp.csr_matrix, train: Tensor, valid: Tensor, budget: float, batch: int,
                progress: bool) -> dict[str, Any]:
    """``{"pop_beta": β, "pop_search": rows}`` for ``op`` fitted on ``train`` (``inp`` its rows), scored on
    ``valid``: the largest coverage@20 whose Recall@20 loses at most ``budget`` (relative) against ``β = 0``."""
    n = int(inp.shape[1])
    rows: list[dict[str, float]] = []

    def trial(beta: float) -> tuple[float, float]:
        items, factors = pop_factors(train, n, beta)

        def score(users: Tensor) -> Tensor:
            s = op.score_rows(inp, users.long().cpu().numpy())
            s[:, items] *= factors
            return s

        m = rank_scored(score, n, valid, [train], (20,), batch, tail=True)
        rows.append({"pop_beta": beta, "recall@20": m["recall@20"], "coverage@20": m["coverage@20"]})
        return m["recall@20"], m["coverage@20"]

    def within_budget(result: tuple[float, float]) -> float:
        return result[1] if result[0] >= (1 - budget) * rows[0]["recall@20"] else float("-inf")

    best = search((0.0, *BETAS), trial, within_budget, label="graph popularity β", progress=progress, patience=2)
    if progress:
        print(f"  graph popularity β: {best.candidate}", file=sys.stderr, flush=True)
    return {"pop_beta": float(best.candidate or 0.0), "pop_search": rows}
