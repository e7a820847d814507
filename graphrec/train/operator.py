"""The item–item models' scoring operator and the inputs of their sparse path.

:class:`Operator` scores users by ``x_u ↦ a·x_u B + b·(x_u L) Rᵀ`` whether ``B`` is dense (the exact path) or a
sparse neighbourhood matrix (the scalable path); its products with blocks of vectors give the vector index its
factorisation without forming ``[items, items]`` (:func:`graphrec.nn.scalable.randomized_svd`).

:class:`SparseInputs` is the stacked Gram matrix of the scalable path: interactions, side behaviours and entity
rows as sparse neighbourhoods (:class:`~graphrec.nn.scalable.NeighbourGram`), and the channels of low rank —
item text, and entity rows too dense to keep sparse (a genre of half the catalogue) — as dense factors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.nn.scalable import Latent, NeighbourGram, neighbour_gram
from graphrec.train.matrices import SideInfo, to_torch

SPARSE_CHANNELS = ("interactions", "behaviours", "entities")
"""Channels kept as sparse neighbourhoods, in :class:`SparseInputs`'s order."""
DENSE_ROW_CAP = 1024
"""At most this many of the densest entity rows become dense factor columns (the rest stay sparse)."""


def dense_row_degree(num_items: int) -> int:
    """Entity rows linking more items than this go to the dense factor: a row of degree ``d`` costs ``d²`` in
    the sparse Gram product and ties most of its items as equal neighbours, while as one factor column it
    costs ``items`` floats."""
    return max(100, int(2 * num_items ** 0.5))


LOW_CHUNK = 1 << 18
"""Candidates whose low-rank scores :meth:`Operator.top_among` computes at once."""

LowRank = tuple[Tensor, Tensor, float]
"""``(L, R, s)``: the term ``s·(x L) Rᵀ`` of an :class:`Operator`."""


@dataclass
class SparseEase:
    """The sparse path's EASE: a sparse ``B`` and, with latent features, the low-rank part ``(x V) Cᵀ``."""

    b: sp.csr_matrix
    v: Tensor | None = None
    c: Tensor | None = None

    def lows(self, scale: float) -> list[LowRank]:
        return [(self.v, self.c, scale)] if self.v is not None and self.c is not None else []


@dataclass
class Operator:
    """Item–item scoring operator ``x_u ↦ b_scale·x_u B + Σ s·(x_u L) Rᵀ``.

    Attributes:
        b: ``[I, I]`` dense tensor, or a scipy CSR matrix (the scalable path).
        lows: low-rank terms ``(L, R, s)`` with ``[I, k]`` factors (the graph filter, the sparse path's latent
            part).
    """

    b: Tensor | sp.csr_matrix
    lows: list[LowRank] = field(default_factory=list)
    b_scale: float = 1.0

    @classmethod
    def of(cls, part: Tensor | SparseEase, scale: float = 1.0) -> Operator:
        """The operator of one solved model part (a dense ``B`` or a :class:`SparseEase`) times ``scale``."""
        if isinstance(part, SparseEase):
            return cls(part.b, part.lows(scale), scale)
        return cls(part, [], scale)

    @property
    def sparse(self) -> bool:
        return not isinstance(self.b, Tensor)

    def apply(self, rows: sp.csr_matrix) -> Tensor:
        """Scores ``[b, I]`` of the users whose interaction rows are ``rows``."""
        x = to_torch(rows)
        if isinstance(self.b, Tensor):
            out = x @ self.b
        else:
            out = torch.from_numpy(np.asarray((rows @ self.b).toarray(), dtype=np.float32))
        out.mul_(self.b_scale)
        for left, right, s in self.lows:
            out.addmm_(x @ left, right.T, alpha=s)
        return out

    def top_among(self, rows: sp.csr_matrix, extra: np.ndarray, seen: tuple[Tensor, Tensor],
                  k: int) -> tuple[Tensor, Tensor]:
        """Top-``k`` unseen items of each user among candidates, scored exactly: the items ``x_u B`` reaches (the
        neighbourhoods of the user's items, from one sparse product) and ``extra`` (e.g. the most popular items).
        Costs ``Σ candidates · rank`` instead of ``users · items · rank``; an item outside the candidates is not
        ranked even if its low-rank score would place it (the price of never scoring every item).

        Args:
            rows: ``[b, I]`` interaction rows of the users.
            extra: item ids every user gets as candidates.
            seen: ``(position in the batch, item)`` pairs to leave out.
            k: items per user.

        Returns:
            ``(items [b, k], scores [b, k])``, best first; item ``-1`` pads a user with fewer candidates.
        """
        if isinstance(self.b, Tensor):
            raise ValueError("top_among: the operator's B is dense; score every item instead")
        n, b = int(rows.shape[1]), int(rows.shape[0])
        reach = (rows @ self.b).tocsr()
        reach.sum_duplicates()                       # each row's items once, ascending
        keys_reach = np.repeat(np.arange(b, dtype=np.int64), np.diff(reach.indptr)) * n + reach.indices
        extra_keys = (np.arange(b, dtype=np.int64)[:, None] * n + extra.astype(np.int64)[None, :]).ravel()
        keys = np.concatenate([keys_reach, extra_keys[~_member(extra_keys, keys_reach)]])
        val_np = np.zeros(keys.size, dtype=np.float32)
        val_np[:keys_reach.size] = reach.data
        unseen = ~_member(keys, np.sort(seen[0].long().numpy() * n + seen[1].long().numpy()))
        keys, val = keys[unseen], torch.from_numpy(val_np[unseen])
        r, c = keys // n, keys % n
        val.mul_(self.b_scale)
        rt, ct = torch.from_numpy(r), torch.from_numpy(c)
        x = to_torch(rows)
        for left, right, s in self.lows:
            q = x @ left
            for a in range(0, rt.numel(), LOW_CHUNK):          # nnz × rank floats at a time
                e = a + LOW_CHUNK
                val[a:e].add_((q[rt[a:e]] * right[ct[a:e]]).sum(1), alpha=s)
        return _top_per_row(rt, ct, val, b, k)

    def matvec(self, omega: Tensor) -> Tensor:
        """``M Ω`` for the ``[I, I]`` operator ``M = b_scale·B + Σ s·L Rᵀ`` (scores are ``x M``)."""
        out = self.b @ omega if isinstance(self.b, Tensor) else torch.from_numpy(
            np.asarray(self.b @ omega.numpy(), dtype=np.float32))
        out = out * self.b_scale
        for left, right, s in self.lows:
            out.addmm_(left, right.T @ omega, alpha=s)
        return out

    def rmatvec(self, omega: Tensor) -> Tensor:
        """``Mᵀ Ω``."""
        out = self.b.T @ omega if isinstance(self.b, Tensor) else torch.from_numpy(
            np.asarray(self.b.T @ omega.numpy(), dtype=np.float32))
        out = out * self.b_scale
        for left, right, s in self.lows:
            out.addmm_(right, left.T @ omega, alpha=s)
        return out


def _member(keys: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in the ascending array ``sorted_set`` (a binary search each; no hashing)."""
    if not sorted_set.size:
        return np.zeros(keys.size, dtype=bool)
    at = np.searchsorted(sorted_set, keys).clip(max=sorted_set.size - 1)
    return np.asarray(sorted_set[at] == keys)


def _top_per_row(rows: Tensor, cols: Tensor, vals: Tensor, b: int, k: int) -> tuple[Tensor, Tensor]:
    """Top-``k`` of each row of sparse ``(rows, cols, vals)`` (in any order of rows): ``([b, k] cols (-1 pads),
    scores)``, by one stable sort of the entries (best first within each row, ties in the given order), never a
    ``[b, widest row]`` matrix."""
    order = np.lexsort((-vals.numpy(), rows.numpy()))
    r = rows.numpy()[order]
    starts = np.searchsorted(r, np.arange(b))
    rank = np.arange(r.size) - starts[r]
    keep = order[rank < k]
    slot = torch.from_numpy(rank[rank < k])
    items = torch.full((b, k), -1, dtype=torch.long)
    best = torch.full((b, k), float("-inf"))
    kt = torch.from_numpy(keep)
    items[rows[kt], slot] = cols[kt]
    best[rows[kt], slot] = vals[kt]
    return items, best


@dataclass
class SparseInputs:
    """The stacked Gram matrix of the scalable path, at unit channel weights.

    Attributes:
        gram: neighbourhoods and Gram values of :data:`SPARSE_CHANNELS` (absent channels are empty).
        dense_rows: ``[I, h]`` entity rows too dense to keep sparse, as factor columns (or ``None``).
        text: ``[I, t]`` normalised item text (or ``None``).
    """

    gram: NeighbourGram
    channels: list[sp.csr_matrix]
    dense_rows: Tensor | None = None
    text: Tensor | None = None
    _latent: dict[tuple[float, ...], Latent | None] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, inp: sp.csr_matrix, side: SideInfo | None, neighbours: int) -> SparseInputs:
        """From the ``[U, I]`` interactions and the side information (``None``: interactions only)."""
        n = int(inp.shape[1])
        empty = sp.csr_matrix((0, n), dtype=np.float32)
        beh = side.behaviours if side is not None and side.behaviours is not None else empty
        ent = side.entities if side is not None and side.entities is not None else empty
        degree = np.asarray(ent.getnnz(axis=1)).ravel()
        dense_ids = np.argsort(-degree, kind="stable")[:DENSE_ROW_CAP]
        dense_ids = np.sort(dense_ids[degree[dense_ids] > dense_row_degree(n)])
        light = np.setdiff1d(np.arange(ent.shape[0]), dense_ids)
        dense_rows = None
        if dense_ids.size:
            dense_rows = torch.from_numpy(np.asarray(ent[dense_ids].T.toarray(), dtype=np.float32))
        channels = [inp.astype(np.float32), beh.astype(np.float32), ent[light].astype(np.float32)]
        gram = neighbour_gram(channels, neighbours)
        text = side.text if side is not None else None
        return cls(gram, channels, dense_rows, text)

    def latent(self, weights: dict[str, float], k: int, seed: int) -> Latent | None:
        """The top-``k`` right singular vectors ``V`` of the weighted sparse stacked matrix, with the full Gram
        matrix times ``V`` (``None`` when ``k`` is 0); computed once per weights, as every λ trial shares them."""
        key = (*self.weights(weights), float(weights.get("text", 0.0)), float(k), float(seed))
        if key not in self._latent:
            self._latent[key] = self._solve_latent(weights, k, seed)
        return self._latent[key]

    def _solve_latent(self, weights: dict[str, float], k: int, seed: int) -> Latent | None:
        n = int(self.channels[0].shape[1])
        k = min(k, n - 1)
        if k < 1:
            return None
        w = self.weights(weights)
        stacked = sp.vstack([c * wc for c, wc in zip(self.channels, w, strict=True) if wc > 0]).tocsr()
        state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            _, _, v = torch.svd_lowrank(to_torch(stacked).to_sparse_coo(), q=k, niter=4)  # type: ignore[no-untyped-call]
        finally:
            torch.random.set_rng_state(state)
        v = v.float().contiguous()
        gv = torch.from_numpy(np.asarray(stacked.T @ (stacked @ v.numpy()), dtype=np.float32))
        f = self.factor(weights)
        if f is not None:
            gv.addmm_(f, f.T @ v)
        return Latent(v, gv)

    def weights(self, weights: dict[str, float]) -> list[float]:
        """Per-channel weights of :attr:`gram` (interactions 1, an absent side channel 0)."""
        return [1.0, float(weights.get("behaviours", 0.0)), float(weights.get("entities", 0.0))]

    def factor(self, weights: dict[str, float]) -> Tensor | None:
        """``[I, k]`` dense factor ``F`` with ``FFᵀ`` the low-rank channels' Gram term at ``weights``."""
        parts = []
        if self.dense_rows is not None and weights.get("entities", 0.0) > 0:
            parts.append(self.dense_rows * weights["entities"])
        if self.text is not None and weights.get("text", 0.0) > 0:
            parts.append(self.text * weights["text"])
        return torch.cat(parts, 1) if parts else None
