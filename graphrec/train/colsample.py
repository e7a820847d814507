"""Choosing on a large catalogue's own columns: a sample of items solved exactly, ranks estimated from it.

The sparse path's solve is one small system per item (column), each independent of the others, so a λ or a
channel weight can be judged on a sample of columns at the sample's share of a full solve's cost. Choosing on
the head of the catalogue instead (its most-interacted items, :mod:`graphrec.train.head`) does not transfer on
the sparse path: on the 100k-item topic graph the head's validation Recall@20 was flat in λ (0.2576 at λ = 24,
0.2561 at 600) while the whole catalogue's test Recall@20 went from 0.118 to 0.150 — what λ decides there is
how far the thousands of rarely seen items' columns climb into the top 20, and the head has none of them.

:class:`ColumnSample` solves the columns of a systematic sample of the catalogue by popularity (every r-th item
in degree order: the tail in its true proportion) plus the validation positives' items, and estimates each
positive's rank in the whole catalogue from the sampled items scored above it, each standing for ``r`` items —
the rank estimate behind the corrected sampled metrics of Krichene & Rendle (KDD 2020, "On Sampled Metrics
for Item Recommendation"), who show that uncorrected sampled ranks mislead exactly this kind of comparison.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

SAMPLE_SHARE = 0.1
"""The smallest share of the catalogue the distractor sample keeps (an estimated rank moves in steps of
``1 / share``: 10 ranks at 0.1, so Recall@20 still separates ranks 0–9 from 10–19)."""


@dataclass(frozen=True)
class ColumnSample:
    """The items whose columns a selection solves, and how to rank within them.

    Attributes:
        cols: ``[c]`` solved item ids, ascending (the sample and every validation positive).
        distractor: ``[c]`` bool: the column is in the systematic sample (counts toward a positive's rank).
        share: the sample's share of the catalogue (a sampled item above a positive stands for ``1/share``).
    """

    cols: Tensor
    distractor: Tensor
    share: float

    @classmethod
    def build(cls, train: Tensor, valid: Tensor, num_items: int, size: int) -> ColumnSample:
        """Every r-th item by ``train`` degree (``r = ⌊num_items / max(size, share·num_items)⌋``, from the
        middle of the first stride) and the items of ``valid``."""
        want = sample_size(num_items, size)
        stride = max(1, num_items // max(1, want))
        degree = torch.bincount(train[1].long().cpu(), minlength=num_items)
        order = torch.argsort(-degree, stable=True)
        sample = order[stride // 2::stride].sort().values
        cols = torch.unique(torch.cat([sample, valid[1].long().cpu()]))
        distractor = torch.isin(cols, sample)
        return cls(cols, distractor, sample.numel() / num_items)

    @property
    def full(self) -> bool:
        return self.share >= 1.0

    def metrics(self, score: Callable[[Tensor], Tensor], inp: sp.csr_matrix, valid: Tensor, k: int = 20,
                batch: int = 512) -> dict[str, float]:
        """Estimated Recall@k and NDCG@k over ``valid``'s users: ``score(users)`` gives ``[b, c]`` scores on
        :attr:`cols`; a user's items in ``inp`` (their training items) are left out of the ranking.

        A positive with ``r`` sampled distractors and ``o`` of its user's other positives above it holds one of
        the ``1/share`` ranks from ``r/share + o``, each equally likely; it counts by its expected hit at ``k``
        and expected discounted gain (Recall as :func:`~graphrec.train.metrics.rank_scored`
        counts it: found over the user's positives).
        """
        users, truth = _by_user(valid)
        rec = ndcg = 0.0
        for a in range(0, users.numel(), batch):
            u = users[a:a + batch]
            s = score(u).float()
            s = self._mask_seen(s, inp[u.numpy()])
            r, n = self._batch(s, truth[a:a + batch], k)
            rec += r
            ndcg += n
        count = max(1, users.numel())
        return {f"recall@{k}": rec / count, f"ndcg@{k}": ndcg / count, "users": float(users.numel())}

    def _mask_seen(self, s: Tensor, rows: sp.csr_matrix) -> Tensor:
        coo = rows.tocoo()
        pos = np.searchsorted(self.cols.numpy(), coo.col)
        hit = pos < self.cols.numel()
        hit[hit] = self.cols.numpy()[pos[hit]] == coo.col[hit]
        s[torch.from_numpy(coo.row[hit]), torch.from_numpy(pos[hit])] = float("-inf")
        return s

    def _batch(self, s: Tensor, truth: list[Tensor], k: int) -> tuple[float, float]:
        """Summed Recall@k and NDCG@k of a batch's users, every positive at once. Only a positive with fewer than
        ``k·share`` sampled distractors above it can reach the top ``k``, so each user's best ``⌈k·share⌉ +``
        (its positives) distractor scores are all that is compared (a top-few per row, not a sort of the
        sample: the sort was 70% of a selection's time at 25k items)."""
        counts = torch.tensor([t.numel() for t in truth])
        row = torch.repeat_interleave(torch.arange(len(truth)), counts)
        at = torch.searchsorted(self.cols, torch.cat(truth))
        ps, own = s[row, at], self.distractor[at]
        width = int(counts.max())
        pad = torch.full((len(truth), width), float("-inf"))
        pad_own = torch.zeros(len(truth), width, dtype=torch.bool)
        slot = torch.arange(ps.numel()) - torch.repeat_interleave(counts.cumsum(0) - counts, counts)
        pad[row, slot], pad_own[row, slot] = ps, own
        dist = s[:, self.distractor]
        top = dist.topk(min(dist.size(1), math.ceil(k * self.share) + width), dim=1).values
        above = (top[row] > ps.unsqueeze(1)).sum(1)
        higher = pad[row] > ps.unsqueeze(1)                          # the user's positives above this one
        start = (above - (higher & pad_own[row]).sum(1)).double() / self.share + higher.sum(1)
        if top.size(1) < dist.size(1):                                # an uncounted distractor may be above
            start = torch.where(above >= top.size(1), torch.full_like(start, float(k)), start)
        cum = _cumulative_discount(k)
        found, gain = _block(start, 1.0 / self.share, cum, k)
        n = counts[row].double()
        return float((found / n).sum()), float((gain / cum[n.clamp(max=k).long()]).sum())


def _cumulative_discount(k: int) -> Tensor:
    """``D[t] = Σ_{j<t} 1/log2(j + 2)`` for ``t = 0 … k``."""
    return torch.cat([torch.zeros(1, dtype=torch.float64),
                      (1.0 / torch.log2(torch.arange(2, k + 2, dtype=torch.float64))).cumsum(0)])


def _interp(cum: Tensor, t: Tensor) -> Tensor:
    """``D`` at real ``t`` in ``[0, k]`` (linear between the integers)."""
    lo = t.floor().long().clamp(max=cum.numel() - 2)
    return cum[lo] + (t - lo) * (cum[lo + 1] - cum[lo])


def _block(start: Tensor, width: float, cum: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """Each positive's full rank is one of the ``width`` ranks from ``start`` (its sampled distractors above stand
    for ``width`` items each), equally likely: its expected share of a hit at ``k`` and expected NDCG gain."""
    end = start + width
    lo, hi = start.clamp(max=k), end.clamp(max=k)
    return (hi - lo) / width, (_interp(cum, hi) - _interp(cum, lo)) / width


def sample_size(num_items: int, size: int) -> int:
    """Distractor columns :meth:`ColumnSample.build` aims at: ``size``, at least :data:`SAMPLE_SHARE` of the
    catalogue, at most all of it."""
    return min(num_items, max(size, math.ceil(SAMPLE_SHARE * num_items)))


def _by_user(pairs: Tensor) -> tuple[Tensor, list[Tensor]]:
    """Users of ``pairs`` (ascending) and each one's items (ascending)."""
    p = pairs.long().cpu()
    order = torch.argsort(p[0] * (int(p[1].max()) + 1 if p.size(1) else 1) + p[1])
    u, i = p[0][order], p[1][order]
    users, counts = torch.unique_consecutive(u, return_counts=True)
    return users, list(torch.split(i, counts.tolist()))
