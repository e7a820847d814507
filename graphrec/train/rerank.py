"""``graph``'s long-tail control: the served lists re-ranked for catalogue coverage, the bonus chosen on validation.

A recommender fitted for accuracy gives most users the same head of the catalogue (issue #21: 54% of a MovieLens
export's recommendations went to its 100 most-rated films, 974 of 9,125 films went to anyone). Catalogue
coverage is a property of *all* the lists together, so this control works on them together: the users are
taken in index order, and each user's top :data:`WINDOW` candidates are re-ranked by their score, scaled to
``[0, 1]`` within the window, plus ``bonus`` for each item that no earlier user's top :data:`COVER_K` shows. An
item a user would nearly have been shown and nobody else is moves into their list; the head keeps its place
wherever its score lead is larger than the bonus.

Borrowed: the re-ranking of each user's best candidates by a second criterion, Adomavicius & Kwon ("Improving
Aggregate Recommendation Diversity Using Ranking-Based Techniques", IEEE TKDE 2012), with marginal catalogue
coverage as the criterion — the greedy for maximum coverage, the objective Antikacioglu & Ravi give aggregate
diversity ("Post Processing Recommender Systems for Diversity", KDD 2017). It replaced an exponent on the items'
popularity (Steck, RecSys 2011), which on MovieLens-100K u1 reached 1.37× coverage@20 within 1% of Recall@20
where this reaches past 1.5× (BENCHMARKS.md § the long tail).

``bonus`` is the largest coverage@20 on the validation pairs among :data:`BONUSES` whose validation Recall@20
loses at most a budget (``TrainConfig.pop_debias``) against no re-ranking. The evaluation re-ranks every
user's list with it and scores the test users' (as write-back re-ranks and publishes every user's, RECOMMENDED): a
bonus's effect depends on how many lists it is spread over, so the validation and the test figures are read off
the same population. A list computed alone
(``recommend --realtime``, ``refresh``) sees no other list and keeps the scores' order.
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
from graphrec.train.search import search

WINDOW = 100
"""Candidates per user the re-ranking may reorder: its top ``WINDOW`` by score."""
COVER_K = 20
"""The list length whose items count as shown (coverage@20, the figure ``evaluate`` reports)."""
BONUSES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
"""Bonuses tried after none, in order (the search stops at the second in a row past the budget)."""


@dataclass(frozen=True)
class CoverageRerank:
    """The re-ranking's setting: ``bonus`` on the ``[0, 1]``-scaled scores for an item no earlier list's top
    ``k`` shows, over the lists of ``users`` users (indices ``0 … users − 1``, the population served together:
    a measurement of some of them ranks all of them, as publication would, and scores its own)."""

    bonus: float
    users: int
    k: int = COVER_K

    def start(self) -> CoveragePass:
        """A pass over users in index order: call it on consecutive batches of their ranked candidates."""
        return CoveragePass(self.bonus, self.k)


class CoveragePass:
    """One pass of :class:`CoverageRerank`: remembers which items the lists so far show."""

    window = WINDOW
    """Candidates per user the caller ranks before the pass: it re-orders the first ``window``."""

    def __init__(self, bonus: float, k: int = COVER_K) -> None:
        self.shown = np.zeros(0, dtype=bool)
        self.bonus, self.k = bonus, k

    def __call__(self, items: Tensor, scores: Tensor) -> tuple[Tensor, Tensor]:
        """``(items, scores)``, each ``[B, M]`` best first by score (``-inf`` or item ``-1``: nothing to show),
        the first :attr:`window` columns of each row re-ordered; the scores stay each item's own."""
        it, sc = items.cpu().numpy().copy(), scores.detach().float().cpu().numpy().copy()
        w = min(self.window, it.shape[1])
        if it.size and int(it.max()) >= self.shown.size:
            self.shown = np.concatenate([self.shown, np.zeros(int(it.max()) + 1 - self.shown.size, dtype=bool)])
        for r in range(it.shape[0]):
            order = self._order(it[r, :w], sc[r, :w])
            it[r, :w], sc[r, :w] = it[r, :w][order], sc[r, :w][order]
            top, s = it[r, :self.k], sc[r, :self.k]
            self.shown[top[(top >= 0) & np.isfinite(s)]] = True
        return torch.from_numpy(it).to(items.device), torch.from_numpy(sc).to(scores.device)

    def _order(self, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
        real = np.isfinite(scores) & (items >= 0)
        if real.sum() < 2:
            return np.arange(items.size)
        lo, hi = scores[real].min(), scores[real].max()
        scaled = (scores - lo) / (hi - lo) if hi > lo else np.zeros_like(scores)
        fresh = ~self.shown[np.where(items >= 0, items, 0)]
        adjusted = np.where(real, scaled + self.bonus * fresh, -np.inf)
        return np.argsort(-adjusted, kind="stable")


def choose_bonus(op: Operator, inp: sp.csr_matrix, train: Tensor, valid: Tensor, budget: float, batch: int,
                 progress: bool) -> dict[str, Any]:
    """``{"cover_bonus": b, "cover_search": rows}`` for ``op`` fitted on ``train`` (``inp`` its rows), scored on
    ``valid``: the largest coverage@20 whose Recall@20 loses at most ``budget`` (relative) against no bonus."""
    n = int(inp.shape[1])
    rows: list[dict[str, float]] = []
    score = op.scorer(inp)

    def trial(bonus: float) -> tuple[float, float]:
        rerank = CoverageRerank(bonus, int(inp.shape[0])) if bonus else None
        m = rank_scored(score, n, valid, [train], (COVER_K,), batch, tail=True, rerank=rerank)
        rows.append({"cover_bonus": bonus, "recall@20": m["recall@20"], "coverage@20": m["coverage@20"]})
        return m["recall@20"], m["coverage@20"]

    def within_budget(result: tuple[float, float]) -> float:
        return result[1] if result[0] >= (1 - budget) * rows[0]["recall@20"] else float("-inf")

    best = search((0.0, *BONUSES), trial, within_budget, label="graph coverage bonus", progress=progress,
                  patience=2)
    if progress:
        print(f"  graph coverage bonus: {best.candidate}", file=sys.stderr, flush=True)
    return {"cover_bonus": float(best.candidate or 0.0), "cover_search": rows}
