"""``graph``'s cold users: a user with a handful of interactions gets popularity blended into their scores.

The item–item scores of a user with three items are three columns of ``B`` (and the filter's rows of those
items): a few neighbourhoods decide the whole ranking. On ml-100k's ``cold-users`` protocol (seed 2020) that
ranked below plain popularity (Recall@20 0.1133 against 0.1236, NDCG@20 0.3342 against 0.4437), while a blend of
the two beat both on Recall. So a user with ``n`` training interactions is scored
``s_u / max(s_u) + w · d / max(d)`` — their own scores over their best, plus the items' training degree ``d`` over
the largest — where ``n`` is at most :data:`BLEND_UPTO` (3, the protocol's cold users); every other user's scores
are exactly the model's own (a taper to 0 at 5 interactions was tried first: it touched one user of ml-100k u1,
which has a user with 4 training pairs).

``w`` is chosen on a *pseudo-cold-user* carve of the selection pairs, built like the protocol itself
(:func:`graphrec.train.protocols.cold_users_split`): a seeded share of the users with more than three training
pairs keep their earliest three (by first timestamp where the graph has them), the rest of their pairs and their
validation pairs are the positives, and ``w`` (:data:`USER_BLENDS`, 0 = none) is the one with the best Recall@20 +
NDCG@20 on them — as :mod:`graphrec.train.cold` chooses the cold items' blend on a pseudo-cold-item carve
(DropoutNet's idea, Volkovs et al., NeurIPS 2017). The carve is skipped, and ``w`` is 0, where no user of the
selection has at most :data:`BLEND_UPTO` pairs: such a fit is exactly the model without the blend.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.train.base import Scorer
from graphrec.train.metrics import rank_scored
from graphrec.train.operator import Operator
from graphrec.train.protocols import COLD_SHARE, COLD_USER_KEEP, cold_users_split
from graphrec.train.search import search

BLEND_UPTO = COLD_USER_KEEP
"""Users with at most this many training interactions get the chosen weight; the others none."""
USER_BLENDS = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Weights ``w`` tried after 0, ascending (the search stops at the first that does not improve)."""
CARVE_SEED_STEP = 15_013
"""Added to the fit's seed for the pseudo-cold-user carve (a draw apart from the other carves')."""


def history_weights(counts: Tensor, w: float) -> Tensor:
    """The weight per user from their training interactions ``counts``: ``w`` up to :data:`BLEND_UPTO`, else 0."""
    return torch.where(counts <= BLEND_UPTO, w, 0.0).float()


def blend_popularity(scores: Tensor, weights: Tensor, pop: Tensor) -> Tensor:
    """``scores`` (``[b, I]``) with each row whose weight (``[b]``) is positive replaced, in place, by itself over its
    largest score (1 where that is not positive) plus the weight times ``pop`` (``[I]``, already scaled to max 1)."""
    rows = torch.nonzero(weights > 0).flatten()
    if rows.numel():
        part = scores[rows]
        top = part.max(dim=1, keepdim=True).values
        part /= torch.where(top > 0, top, torch.ones_like(top))
        scores[rows] = part + weights[rows].unsqueeze(1) * pop.unsqueeze(0)
    return scores


def scaled_popularity(inp: sp.csr_matrix) -> Tensor:
    """The items' training degree over the largest (``[I]``)."""
    deg = torch.from_numpy(np.asarray(inp.getnnz(axis=0), dtype=np.float32).ravel())
    return deg / deg.max().clamp(min=1.0)


def user_counts(inp: sp.csr_matrix) -> Tensor:
    """Training interactions per user (``[U]``)."""
    return torch.from_numpy(np.asarray(inp.getnnz(axis=1), dtype=np.int64).ravel())


def blended_scorer(scorer: Scorer, inp: sp.csr_matrix, w: float) -> Scorer:
    """``scorer`` with the few-interaction users' popularity blend of weight ``w`` (``inp``: the training rows)."""
    weights, pop = history_weights(user_counts(inp), w), scaled_popularity(inp)

    def score(users: Tensor) -> Tensor:
        return blend_popularity(scorer(users), weights[users.long().cpu()], pop)

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
    """A seeded :data:`~graphrec.train.protocols.COLD_SHARE` of the users of ``train`` with more than
    :data:`BLEND_UPTO` pairs cut to their earliest (``ts``: each ``train`` pair's first timestamp, -1 unknown)."""
    rest, held, users = cold_users_split(train, seed, ts, COLD_SHARE, BLEND_UPTO)
    valid = valid.long().cpu()
    return UserCarve(rest, torch.cat([held, valid[:, torch.isin(valid[0], users)]], 1))


def choose_user_blend(op: Operator, inp: sp.csr_matrix, carve: UserCarve, batch: int,
                      progress: bool) -> dict[str, Any]:
    """``{"user_blend": w, "user_search": rows}`` for ``op`` fitted on ``carve.train`` (``inp`` its rows): the
    weight with the best Recall@20 + NDCG@20 of the carved users."""
    n = int(inp.shape[1])
    rows: list[dict[str, float]] = []

    scorer = op.scorer(inp)

    def trial(w: float) -> dict[str, float]:
        m = rank_scored(blended_scorer(scorer, inp, w), n, carve.valid, [carve.train], (20,), batch)
        rows.append({"user_blend": w, "recall@20": m["recall@20"], "ndcg@20": m["ndcg@20"]})
        return m

    best = search((0.0, *USER_BLENDS), trial, lambda m: m["recall@20"] + m["ndcg@20"],
                  label="graph cold-user blend", progress=progress, patience=1)
    if progress:
        print(f"  graph cold-user blend: {best.candidate}", file=sys.stderr, flush=True)
    return {"user_blend": float(best.candidate or 0.0), "user_search": rows}
