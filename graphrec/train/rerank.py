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
at most a budget (``TrainConfig.pop_debias``) against none, read at the refit's size and counting one standard
error of that loss (:func:`choose_swaps`). The lists
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

from graphrec.ranking import top_unseen
from graphrec.train.metrics import _by_position, rank_groups
from graphrec.train.operator import Operator

WINDOW = 100
"""Candidates per user the re-ranking may draw from: its top ``WINDOW`` by score."""
COVER_K = 20
"""The list length whose items count as shown (coverage@20, the figure ``evaluate`` reports)."""
REACH = 0.3
"""The largest scaled score gap (``k``-th item's minus the candidate's, within the window) an item is moved over."""
FOLDS = 10
"""Folds of the validation users the loss's standard error is taken over (:func:`choose_swaps`)."""
NESTED_SEED_STEP = 4_099
"""Added to the fit's seed for the nested carve :func:`choose_swaps` reads the loss's trend on."""
SWAPS = (1, 2, 3, 4, 6, 8)
"""Items per user the re-ranking may replace, tried after none (every count is tried: the reading at the refit's
size pools them)."""


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


Fit = tuple[Operator, sp.csr_matrix, Tensor]
"""A fit the validation pairs are ranked by: ``(operator, its input rows, its training pairs)``."""


def choose_swaps(fit: Fit, nested: Fit, valid: Tensor, budget: float, batch: int,
                 progress: bool) -> dict[str, Any]:
    """``{"cover_swaps": m, "cover_search": rows, "cover_shrink": ρ}``: the largest validation coverage@20 whose
    relative loss of Recall@20 against none, read at the refit's size and counting one standard error, is at most
    ``budget``.

    ``fit`` is the selection's fit (on the pairs beside ``valid``), ``nested`` the same setting fitted on those
    pairs less a carve as large as ``valid``: both rank ``valid``. The loss is read at the size of the refit (one
    step of as many pairs again) as ``ρ`` times ``fit``'s, ``ρ`` the ratio of ``fit``'s losses to ``nested``'s
    summed over every count (:func:`shrink`): a model fitted on more pairs ranks its hits nearer the top, so the
    items a re-ranking drops from the foot of a list are hits less often. On lastfm-2k (evaluate's split) the loss
    of 1–8 swaps was 0.9–3.1% fitted on 60% of the pairs, 0.9–2.6% on 70%, 0.3–1.8% on the refit's 80% (the test
    pairs). The one standard error (Breiman
    et al., *Classification and Regression Trees*, 1984) is over :data:`FOLDS` folds of the validation users, each
    fold's loss against its own Recall@20 without re-ranking: the validation pairs are a sample, and the bare
    budget once chose 6 swaps (0.96% on validation) that cost the test pairs 1.4%. Each fit's validation windows
    are scored once; every trial re-ranks them (:func:`window_scorer`)."""
    users = torch.unique(valid[0].long().cpu())
    folds = {f"fold {f}": users[f::FOLDS] for f in range(FOLDS)}
    counts = (0, *SWAPS)
    outer = _curve(fit, users, valid, folds, counts, batch)
    inner = _curve(nested, users, valid, folds, counts, batch)
    rho = shrink([outer[m][0]["all"] for m in counts], [inner[m][0]["all"] for m in counts])
    rows: list[dict[str, float]] = []
    for m in counts:
        recall, coverage = outer[m]
        losses = [rho * (1 - recall[g] / outer[0][0][g]) for g in folds if outer[0][0][g] > 0]
        rows.append({"cover_swaps": m, "recall@20": recall["all"], "coverage@20": coverage,
                     "nested_recall@20": inner[m][0]["all"], "loss": rho * (1 - recall["all"] / outer[0][0]["all"]),
                     "loss_error": statistics.stdev(losses) / len(losses) ** 0.5 if m and len(losses) > 1 else 0.0})
    allowed = [r for r in rows if r["loss"] + r["loss_error"] <= budget]
    best = max(allowed, key=lambda r: (r["coverage@20"], -r["cover_swaps"]))
    if progress:
        print(f"  graph coverage swaps: {best['cover_swaps']:.0f} (losses read ×{rho:.2f} at the refit's size)",
              file=sys.stderr, flush=True)
    return {"cover_swaps": int(best["cover_swaps"]), "cover_search": rows, "cover_shrink": rho}


def shrink(outer: list[float], inner: list[float]) -> float:
    """``ρ`` in ``[0, 1]``: the relative Recall@20 losses of the re-ranked counts against none (``outer[0]``,
    ``inner[0]``) summed at the larger fit over the smaller (1 where the smaller loses nothing)."""
    big = sum(1 - r / outer[0] for r in outer[1:]) if outer[0] > 0 else 0.0
    small = sum(1 - r / inner[0] for r in inner[1:]) if inner[0] > 0 else 0.0
    return min(1.0, max(0.0, big / small)) if small > 0 else 1.0


def _curve(fit: Fit, users: Tensor, valid: Tensor, folds: dict[str, Tensor], counts: tuple[int, ...],
           batch: int) -> dict[int, tuple[dict[str, float], float]]:
    """Per count of swaps: Recall@20 of ``valid`` in each fold (and ``"all"``) ranked by ``fit``, coverage@20."""
    op, inp, train = fit
    n = int(inp.shape[1])
    score = window_scorer(users, *windows(op.scorer(inp), users, train, batch), n)
    out = {}
    for m in counts:
        got = rank_groups(score, n, valid, [train], (COVER_K,), batch, tail=True,
                          rerank=CoverageRerank(m) if m else None, groups=folds)
        out[m] = ({g: v["recall@20"] for g, v in got.items()}, got["all"]["coverage@20"])
    return out


def windows(score: Callable[[Tensor], Tensor], users: Tensor, exclude: Tensor, batch: int) -> tuple[Tensor, Tensor]:
    """The sorted ``users``' top :data:`WINDOW` items not in ``exclude`` and their scores (``-inf``: none left)."""
    pos, item, bounds = _by_position(exclude.long().cpu(), users)
    out_i, out_s = [], []
    for s in range(0, users.numel(), batch):
        e = min(s + batch, users.numel())
        a, b = int(bounds[s]), int(bounds[e])
        idx, best = top_unseen(score(users[s:e]).float().cpu(), pos[a:b] - s, item[a:b], WINDOW, pad=False)
        out_i.append(idx)
        out_s.append(best)
    return torch.cat(out_i), torch.cat(out_s)


def window_scorer(users: Tensor, items: Tensor, scores: Tensor, num_items: int) -> Callable[[Tensor], Tensor]:
    """A scorer of the sorted ``users`` that knows only their windows (``-inf`` elsewhere): it ranks their top
    :data:`WINDOW` as the full scores do, and a re-ranking reads nothing past it, so the trials of
    :func:`choose_swaps` pay the operator once."""
    def score(u: Tensor) -> Tensor:
        rows = torch.searchsorted(users, u.long().cpu())
        out = torch.full((u.numel(), num_items), float("-inf"))
        return out.scatter_(1, items[rows], scores[rows])
    return score
