"""``graph``'s cold users: a user with a handful of interactions gets their items' co-popularity blended in.

The item–item scores of a user with three items are three columns of ``B`` (and the filter's rows of those
items): a few neighbourhoods decide the whole ranking. On ml-100k's ``cold-users`` protocol (seed 2020) that
ranked below plain popularity (Recall@20 0.1133 against 0.1236, NDCG@20 0.3342 against 0.4437). ``B`` is fitted
to rank a warm user's held-out items, with popularity normalised away by ``λ``; what a user with three items
will choose next is, far more than for a warm user, what is popular *among the people who chose the same
items*. So a user with ``n`` training interactions is scored ``s_u / max(s_u) + w · c_u / max(c_u)`` — their own
scores over their best, plus ``w`` times their items' *co-popularity* ``c_u = x_u Xᵀ D^p X`` (how often each
item was chosen by the users who share an item with them, each such user counted once per shared item and
weighted by their own number of items to the power ``p``: a long history says more about where a short one
goes) — where ``n`` is at most :data:`BLEND_UPTO` (3, the protocol's cold users); every other user's scores are
exactly the model's own. ``Xᵀ D^p X`` is the item–item co-occurrence Gram of the binarised interactions with each
user weighted by ``d_u^p``: a dense ``items²`` float32 matrix, built only on the dense path (whose ``B`` is
``items²`` already). Item-based co-occurrence as the cold-start fallback: Sarwar et al., WWW 2001; Linden et al.,
IEEE Internet Computing 2003 ("customers who bought this also bought"). On ml-100k's ``cold-users`` (3 seeds) the
blend went from 0.1288 / 0.4073 (global popularity in its place) to 0.1317 / 0.4786 Recall@20 / NDCG@20 (chosen on
a 60% carve), against popularity's 0.1177 / 0.4472 (BENCHMARKS.md § cold start).

``w`` (:data:`USER_BLENDS`, 0 = none) and ``p`` (:data:`CO_USER_POWERS`) are chosen on a *pseudo-cold-user*
carve of the selection pairs, built like the protocol itself (:func:`graphrec.train.protocols.cold_users_split`):
a seeded share (:data:`USER_CARVE_SHARE`) of the users with more than three training pairs keep their earliest
three (by first timestamp where the graph has them), the rest of their pairs and their validation pairs are the
positives, and the setting with the best Recall@20 + NDCG@20 on them wins — as :mod:`graphrec.train.cold` chooses
the cold items' blend on a pseudo-cold-item carve (DropoutNet's idea, Volkovs et al., NeurIPS 2017). The carve
is skipped, and ``w`` is 0, where no user of the selection has at most :data:`BLEND_UPTO` pairs: such a fit is
exactly the model without the blend.
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

from graphrec.train.base import Scorer
from graphrec.train.matrices import dense_gram
from graphrec.train.metrics import rank_scored
from graphrec.train.operator import Operator
from graphrec.train.protocols import COLD_USER_KEEP, cold_users_split
from graphrec.train.search import search

BLEND_UPTO = COLD_USER_KEEP
"""Users with at most this many training interactions get the chosen weight; the others none."""
USER_BLENDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
"""Weights ``w`` tried after 0, ascending (the search stops at the first that does not improve)."""
CO_USER_POWERS = (0.0, 0.5, 1.0)
"""Powers ``p`` of a co-user's number of items in their weight, each with its own search over ``w``."""
USER_CARVE_SHARE = 0.6
"""Share of the users with more than :data:`BLEND_UPTO` training pairs that the pseudo-cold-user carve cuts to
their earliest. Larger than the protocol's 20% so that the choice of ``w`` and ``p`` rests on more users: on
ml-100k's ``cold-users`` (seeds 2020–2022, ≈190 carved users at 20%) the choice swung between ``p`` 0 and ½ from
seed to seed (NDCG@20 0.4636 ± 0.0251); carving 60% chose ``p`` ½ on every seed (0.4786 ± 0.0071), and on three
further seeds (2023–2025, not used to pick the share) 0.4855 ± 0.0068 against 0.4732 ± 0.0141 at 20%, Recall@20
0.1343 against 0.1412, popularity 0.1214 / 0.4454 (BENCHMARKS.md § cold start)."""
CARVE_SEED_STEP = 15_013
"""Added to the fit's seed for the pseudo-cold-user carve (a draw apart from the other carves')."""


def history_weights(counts: Tensor, w: float) -> Tensor:
    """The weight per user from their training interactions ``counts``: ``w`` up to :data:`BLEND_UPTO`, else 0."""
    return torch.where(counts <= BLEND_UPTO, w, 0.0).float()


def _over_top(part: Tensor) -> Tensor:
    top = part.max(dim=1, keepdim=True).values
    return part / torch.where(top > 0, top, torch.ones_like(top))


def blend_popularity(scores: Tensor, weights: Tensor, pop: Tensor) -> Tensor:
    """``scores`` (``[b, I]``) with each row whose weight (``[b]``) is positive replaced, in place, by itself over its
    largest score (1 where that is not positive) plus the weight times ``pop`` (``[b, I]`` or ``[I]``, each row
    scaled to max 1)."""
    rows = torch.nonzero(weights > 0).flatten()
    if rows.numel():
        p = pop[rows] if pop.dim() == 2 else pop.unsqueeze(0)
        scores[rows] = _over_top(scores[rows]) + weights[rows].unsqueeze(1) * p
    return scores


def co_gram(inp: sp.csr_matrix, power: float) -> np.ndarray:
    """``Xᵀ D^p X`` (``[I, I]`` float32, dense: the dense path's ``B`` is as large): the binarised interactions'
    item co-occurrences, each user weighted by their number of items to the power ``power``."""
    x = inp.astype(bool).astype(np.float32).tocsr()
    d = np.asarray(x.getnnz(axis=1), dtype=np.float64).ravel()
    w = np.power(np.maximum(d, 1.0), power).astype(np.float32)
    return dense_gram(x, w).numpy()


def co_popularity(gram: np.ndarray, inp: sp.csr_matrix, users: np.ndarray) -> Tensor:
    """``[b, I]``: the co-popularity ``x_u · gram`` of each of ``users`` (binarised rows of ``inp``), each row
    over its largest."""
    rows = inp[users].astype(bool).astype(np.float32)
    return _over_top(torch.from_numpy(np.asarray(rows @ gram, dtype=np.float32)))


def user_counts(inp: sp.csr_matrix) -> Tensor:
    """Training interactions per user (``[U]``)."""
    return torch.from_numpy(np.asarray(inp.getnnz(axis=1), dtype=np.int64).ravel())


def blended_scorer(scorer: Scorer, inp: sp.csr_matrix, w: float, power: float,
                   gram: np.ndarray | None = None) -> Scorer:
    """``scorer`` with the few-interaction users' co-popularity blend of weight ``w`` and co-user power ``power``
    (``inp``: the training rows; ``gram``: their :func:`co_gram` of that power, built here when ``None``)."""
    weights = history_weights(user_counts(inp), w)
    gram = co_gram(inp, power) if gram is None else gram

    def score(users: Tensor) -> Tensor:
        u = users.long().cpu()
        wu = weights[u]
        rows = torch.nonzero(wu > 0).flatten()
        if not rows.numel():             # no user of this batch has a handful of items: their own scores
            return scorer(users)
        pop = torch.zeros(u.numel(), int(inp.shape[1]))
        pop[rows] = co_popularity(gram, inp, u[rows].numpy())
        return blend_popularity(scorer(users), wu, pop)

    return score


def needs_blend(pairs: Tensor, num_users: int) -> bool:
    """Whether some user has at most :data:`BLEND_UPTO` pairs in ``pairs`` (but at least one)."""
    counts = torch.bincount(pairs[0].long().cpu(), minlength=num_users)
    return bool(((counts > 0) & (counts <= BLEND_UPTO)).any())


@dataclass
class UserCarve:
    """The pseudo-cold-user carve of the selection pairs.

    Attributes:
        train: the selection's training pairs with the carved users cut to their earliest :data:`BLEND_UPTO`.
        valid: the carved users' other training pairs and their validation pairs.
    """

    train: Tensor
    valid: Tensor


def pseudo_cold_users(train: Tensor, valid: Tensor, seed: int, ts: Tensor | None = None) -> UserCarve:
    """A seeded :data:`USER_CARVE_SHARE` of the users of ``train`` with more than :data:`BLEND_UPTO` pairs cut to
    their earliest (``ts``: each ``train`` pair's first timestamp, -1 unknown)."""
    rest, held, users = cold_users_split(train, seed, ts, USER_CARVE_SHARE, BLEND_UPTO)
    valid = valid.long().cpu()
    return UserCarve(rest, torch.cat([held, valid[:, torch.isin(valid[0], users)]], 1))


def choose_user_blend(op: Operator, inp: sp.csr_matrix, carve: UserCarve, batch: int,
                      progress: bool) -> dict[str, Any]:
    """``{"user_blend": w, "user_power": p, "user_search": rows}`` for ``op`` fitted on ``carve.train`` (``inp`` its
    rows): the setting with the best Recall@20 + NDCG@20 of the carved users (``w`` 0: none, ``p`` then 0)."""
    n = int(inp.shape[1])
    rows: list[dict[str, float]] = []
    scorer = op.scorer(inp)

    def step(power: float, gram: np.ndarray | None) -> Callable[[float], dict[str, float]]:
        def trial(w: float) -> dict[str, float]:
            score = blended_scorer(scorer, inp, w, power, gram) if w else scorer
            m = rank_scored(score, n, carve.valid, [carve.train], (20,), batch)
            rows.append({"user_blend": w, "user_power": power, "recall@20": m["recall@20"], "ndcg@20": m["ndcg@20"]})
            return m
        return trial

    def value(m: dict[str, float]) -> float:
        return m["recall@20"] + m["ndcg@20"]

    best = search((0.0,), step(0.0, None), value, label="graph cold-user blend", progress=progress)
    power = 0.0
    for p in CO_USER_POWERS:       # each power's own curve in w (one peak), then the best of the curves
        found = search(USER_BLENDS, step(p, co_gram(inp, p)), value, label=f"graph cold-user blend (power {p})",
                       progress=progress, patience=1)
        if found.score > best.score:
            best, power = found, p
    w = float(best.candidate or 0.0)
    if progress:
        print(f"  graph cold-user blend: {w} (co-user power {power})", file=sys.stderr, flush=True)
    return {"user_blend": w, "user_power": power if w else 0.0, "user_search": rows}
