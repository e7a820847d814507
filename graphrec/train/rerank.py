"""``graph``'s long-tail control: the lists of all users re-ranked together for coverage, chosen on validation.

A recommender fitted for accuracy gives most users the same head of the catalogue (issue #21: 54% of a MovieLens
export's recommendations went to its 100 most-rated films, 974 of 9,125 films went to anyone). Catalogue
coverage is a property of *all* the lists together, so this control works on them together. Each item that no
user's top :data:`COVER_K` shows but some user's top :data:`WINDOW` holds goes to the user it costs least — the
smallest gap between their ``k``-th score and its score, both scaled to ``[0, 1]`` within their window, at most
:data:`REACH` — replacing the lowest-ranked item of their list that another list shows too (so coverage only
grows), at most ``swaps`` items per user. Items are placed cheapest first.

Borrowed: aggregate diversity as a post-processing of every user's candidates, Adomavicius & Kwon ("Maximizing
Aggregate Recommendation Diversity: A Graph-Theoretic Approach", DiveRS @ RecSys 2011), with the per-user
capacity of their flow formulation, solved greedily by cost as Antikacioglu & Ravi's coverage objective allows
("Post Processing Recommender Systems for Diversity", KDD 2017). It replaced an exponent on the items'
popularity (Steck, RecSys 2011), whose test curve on MovieLens-100K u1 reached 1.37× coverage@20 within 1% of
Recall@20 (BENCHMARKS.md § the long tail).

``swaps`` is the largest coverage@20 on the validation pairs among :data:`SWAPS` whose validation Recall@20 loses
at most a budget (``TrainConfig.pop_debias``) against none, counting one standard error of that loss. The lists
re-ranked together are the lists served together: a measurement's users' (coverage@K counts those lists),
write-back's every user's (RECOMMENDED). A list computed alone (``recommend --realtime``, ``refresh``) sees no
other list and keeps the scores' order.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.train.metrics import _lists, rank_groups
from graphrec.train.operator import Operator
from graphrec.train.search import search

WINDOW = 100
"""Candidates per user the re-ranking may draw from: its top ``WINDOW`` by score."""
COVER_K = 20
"""The list length whose items count as shown (coverage@20, the figure ``evaluate`` reports)."""
REACH = 0.3
"""The largest scaled score gap (``k``-th item's minus the candidate's, within the window) an item is moved over."""
FOLDS = 10
"""Folds of the validation users the loss's standard error is taken over (:func:`choose_swaps`)."""
SWAPS = (1, 2, 3, 4, 6, 8)
"""Items per user the re-ranking may replace, tried after none (the search stops at the second in a row past
the budget)."""


@dataclass(frozen=True)
class CoverageRerank:
    """The re-ranking's setting: at most ``swaps`` of each user's top ``k`` replaced by items none of the lists
    re-ranked together shows."""

    swaps: int
    k: int = COVER_K
    reach: float = REACH
    window: int = WINDOW

    def __call__(self, items: Tensor, scores: Tensor) -> tuple[Tensor, Tensor]:
        """``(items, scores)``: every user's ``[U, M]`` candidates best first by score (``-inf`` or item ``-1``:
        nothing to show); returned with items placed into the first ``k`` columns, each with its own score."""
        it, sc = items.cpu().numpy().copy(), scores.detach().float().cpu().numpy().copy()
        k = min(self.k, it.shape[1])
        w = min(self.window, it.shape[1])
        if k >= w or not it.size:
            return items, scores
        real = np.isfinite(sc) & (it >= 0)
        shown = np.bincount(it[:, :k][real[:, :k]], minlength=int(it.max()) + 1)
        placed = np.zeros(it.shape[0], dtype=np.int64)
        for u, p in self._cheapest(it, sc, real, shown, k, w):
            i = it[u, p]
            if shown[i] or placed[u] >= self.swaps:
                continue
            q = self._slot(it[u, :k], real[u, :k], shown)
            if q < 0:
                continue
            shown[it[u, q]] -= 1
            shown[i] = 1
            placed[u] += 1
            it[u, q], it[u, p] = i, it[u, q]
            sc[u, q], sc[u, p] = sc[u, p], sc[u, q]
        return torch.from_numpy(it).to(items.device), torch.from_numpy(sc).to(scores.device)

    def _cheapest(self, it: np.ndarray, sc: np.ndarray, real: np.ndarray, shown: np.ndarray, k: int,
                  w: int) -> list[tuple[int, int]]:
        """``(user, position)`` of every candidate no list shows within :attr:`reach`, cheapest first."""
        lo = np.where(real[:, :w], sc[:, :w], np.inf).min(1)
        with np.errstate(invalid="ignore"):     # rows with nothing to show scale to NaN and are never fresh
            span = sc[:, 0] - lo
            scaled = (sc[:, :w] - lo[:, None]) / np.where(span > 0, span, np.inf)[:, None]
        fresh = real[:, k:w] & (shown[np.where(it[:, k:w] >= 0, it[:, k:w], 0)] == 0)
        users, cols = np.nonzero(fresh)
        gap = scaled[users, k - 1] - scaled[users, cols + k]
        keep = gap <= self.reach
        order = np.argsort(gap[keep], kind="stable")
        return list(zip(users[keep][order].tolist(), (cols[keep][order] + k).tolist(), strict=True))

    @staticmethod
    def _slot(row: np.ndarray, real: np.ndarray, shown: np.ndarray) -> int:
        """The lowest-ranked position of ``row`` whose item another list shows too (``-1``: none)."""
        twice = np.nonzero(real & (shown[np.where(row >= 0, row, 0)] >= 2))[0]
        return int(twice[-1]) if twice.size else -1


def choose_swaps(op: Operator, inp: sp.csr_matrix, train: Tensor, valid: Tensor, budget: float, batch: int,
                 progress: bool) -> dict[str, Any]:
    """``{"cover_swaps": m, "cover_search": rows}`` for ``op`` fitted on ``train`` (``inp`` its rows), scored on
    ``valid``: the largest coverage@20 whose relative loss of Recall@20 against none, plus one standard error, is
    at most ``budget`` — the one-standard-error rule (Breiman et al., *Classification and Regression Trees*, 1984):
    the validation pairs are a sample, and the first choice within the bare budget on lastfm-2k (6 swaps: 0.96%
    on validation) cost the test pairs 1.4%. The error is over :data:`FOLDS` folds of the validation users, each
    fold's loss against its own Recall@20 without re-ranking. The validation users' windows are scored once; every
    trial re-ranks them (:func:`window_scorer`)."""
    n = int(inp.shape[1])
    rows: list[dict[str, float]] = []
    users = torch.unique(valid[0].long().cpu())
    score = window_scorer(users, *windows(op.scorer(inp), users, train, n, batch), n)
    folds = {f"fold {f}": users[f::FOLDS] for f in range(FOLDS)}
    base: dict[str, float] = {}

    def trial(swaps: int) -> tuple[float, float, float]:
        rerank = CoverageRerank(swaps) if swaps else None
        m = rank_groups(score, n, valid, [train], (COVER_K,), batch, tail=True, rerank=rerank, groups=folds)
        recall = {g: v["recall@20"] for g, v in m.items()}
        base.update(recall if not base else {})
        losses = [1 - recall[g] / base[g] for g in folds if base[g] > 0]
        error = statistics.stdev(losses) / len(losses) ** 0.5 if len(losses) > 1 else 0.0
        rows.append({"cover_swaps": swaps, "recall@20": recall["all"], "coverage@20": m["all"]["coverage@20"],
                     "loss_error": error})
        return recall["all"], m["all"]["coverage@20"], error

    def within_budget(result: tuple[float, float, float]) -> float:
        recall, coverage, error = result
        return coverage if 1 - recall / base["all"] + error <= budget else float("-inf")

    best = search((0, *SWAPS), trial, within_budget, label="graph coverage swaps", progress=progress, patience=2)
    if progress:
        print(f"  graph coverage swaps: {best.candidate}", file=sys.stderr, flush=True)
    return {"cover_swaps": int(best.candidate or 0), "cover_search": rows}


def windows(score: Callable[[Tensor], Tensor], users: Tensor, exclude: Tensor, num_items: int,
            batch: int) -> tuple[Tensor, Tensor]:
    """The sorted ``users``' top :data:`WINDOW` items not in ``exclude`` and their scores (``-inf``: none left),
    ranked as every measurement ranks (:func:`graphrec.train.metrics._lists`)."""
    everything = torch.ones(num_items, dtype=torch.bool)
    parts = [(top.cpu(), best.cpu())
             for _, top, best in _lists(score, num_items, [exclude.long().cpu()], WINDOW, batch, users, everything,
                                        None)]
    return torch.cat([t for t, _ in parts]), torch.cat([b for _, b in parts])


def window_scorer(users: Tensor, items: Tensor, scores: Tensor, num_items: int) -> Callable[[Tensor], Tensor]:
    """A scorer of the sorted ``users`` that knows only their windows (``-inf`` elsewhere): it ranks their top
    :data:`WINDOW` as the full scores do, and a re-ranking reads nothing past it, so the trials of
    :func:`choose_swaps` pay the operator once."""
    def score(u: Tensor) -> Tensor:
        rows = torch.searchsorted(users, u.long().cpu())
        out = torch.full((u.numel(), num_items), float("-inf"))
        return out.scatter_(1, items[rows], scores[rows])
    return score
