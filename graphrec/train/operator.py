"""The item–item models' scoring operator and the inputs of their sparse path.

:class:`Operator` scores users by ``x_u ↦ a·x_u B + b·(x_u L) Rᵀ`` whether ``B`` is dense (the exact path) or a
sparse neighbourhood matrix (the scalable path); its products with blocks of vectors give the vector index its
factorisation without forming ``[items, items]`` (:func:`graphrec.nn.scalable.randomized_svd`).

:class:`SparseInputs` is the stacked Gram matrix of the scalable path: interactions, side behaviours and entity
rows as sparse neighbourhoods (:class:`~graphrec.nn.scalable.NeighbourGram`), and the channels of low rank —
item text, and entity rows too dense to keep sparse (a genre of half the catalogue) — as dense factors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.nn.scalable import Latent, NeighbourGram, neighbour_gram, products, randomized_svd
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


GATHER_ENTRIES = 1 << 17
"""Bound on the gathered factor values :meth:`Operator.top_among` multiplies at once (512 KB: in cache)."""
REACH_CANDIDATES = 512
"""Reached items :meth:`Operator.top_among` keeps per user, by their sparse score, before paying the low-rank
terms: at 25k items a user's ``x_u B`` reaches ~9,400 items (popular items sit on most neighbour lists), and
gathering 193 factor values for each was the candidate top-K's whole cost (~12 h for 1M users at 300k items)."""
REACH_ROW = 64
"""Entries of each row of ``B`` that :meth:`Operator.top_among` reaches candidates through (its largest): a
popular item's row reaches half of a large catalogue, and the reached set was the candidate top-K's cost; on the
100k topic graph, rows cut to 64 gave the same candidates' agreement with the exact sparse top-20 (99.4% on 512
users) from a reached set of 280 items per user instead of 13,572."""

MEMO_ENTRIES = 1 << 25
"""Bound on the scores a :class:`RowProducts` keeps (128 MB of floats); above it each call computes its rows."""

MATVEC_ROWS = 1024
"""Rows of a dense ``B`` multiplied at once by a sparse ``Ω`` (:meth:`Operator.matvec`)."""

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


def _times_b(rows: sp.csr_matrix, b: Tensor | sp.csr_matrix) -> Tensor:
    """``x B`` for the interaction ``rows`` (a fresh ``[b, I]`` tensor)."""
    if isinstance(b, Tensor):
        return to_torch(rows) @ b
    return torch.from_numpy(np.asarray((rows @ b).toarray(), dtype=np.float32))


class RowProducts:
    """``x_u B`` for rows of one ``inp``, each row computed once and kept while ``B`` is unchanged (by its in-place
    version counter) and every row fits :data:`MEMO_ENTRIES`. A selection scores one ``B`` many times — its scale
    sample, its validation pass, each filter blend, each cold-item trial: on ml-100k 205 products for 123
    validation passes, where these rows are the same each time."""

    def __init__(self, b: Tensor | sp.csr_matrix, inp: sp.csr_matrix) -> None:
        self.b, self.inp = b, inp
        self._shape = (int(inp.shape[0]), int(b.shape[1]))     # B may hold only some columns (sampled)
        self._keep = self._shape[0] * self._shape[1] <= MEMO_ENTRIES
        self._store: Tensor | None = None
        self._known = np.zeros(int(inp.shape[0]), dtype=bool)
        self._version = self._b_version()

    def serves(self, b: Tensor | sp.csr_matrix, inp: sp.csr_matrix) -> bool:
        """Whether these are the products of ``b`` with the rows of ``inp``."""
        return self.b is b and self.inp is inp

    def _b_version(self) -> int:
        return int(self.b._version) if isinstance(self.b, Tensor) else 0

    def __call__(self, idx: np.ndarray) -> Tensor:
        """``[len(idx), I]`` products of the rows ``idx`` of ``inp`` (a fresh tensor)."""
        if not self._keep:
            return _times_b(self.inp[idx], self.b)
        if self._store is None or self._b_version() != self._version:
            self._store = torch.empty(self._shape, dtype=torch.float32)
            self._known[:] = False
            self._version = self._b_version()
        miss = np.unique(idx[~self._known[idx]])
        if miss.size:
            self._store[torch.from_numpy(miss)] = _times_b(self.inp[miss], self.b)
            self._known[miss] = True
        return self._store[torch.from_numpy(np.asarray(idx, dtype=np.int64))]


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
    products: RowProducts | None = field(default=None, repr=False, compare=False)
    """``x_u B`` remembered for one interaction matrix (:meth:`remember`)."""
    _reach: tuple[Any, sp.csr_matrix] | None = field(default=None, repr=False, compare=False)
    _cols: tuple[Any, tuple[np.ndarray, np.ndarray]] | None = field(default=None, repr=False, compare=False)

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
        return self._with_lows(_times_b(rows, self.b).mul_(self.b_scale), rows)

    def _with_lows(self, out: Tensor, rows: sp.csr_matrix) -> Tensor:
        if self.lows:
            x = to_torch(rows)
            for left, right, s in self.lows:
                out.addmm_(x @ left, right.T, alpha=s)
        return out

    def remember(self, inp: sp.csr_matrix, products: RowProducts | None = None) -> Operator:
        """This operator, its ``x_u B`` for the rows of ``inp`` remembered from now on (``products``: a memo of
        the same ``B`` and ``inp`` to share)."""
        if products is not None and not products.serves(self.b, inp):
            raise ValueError("remember: the products are of another B or another interaction matrix")
        if products is None and self.products is not None and self.products.serves(self.b, inp):
            return self
        self.products = products or RowProducts(self.b, inp)
        return self

    def score_rows(self, inp: sp.csr_matrix, idx: np.ndarray) -> Tensor:
        """:meth:`apply` to the rows ``idx`` of ``inp``, ``x_u B`` from :attr:`products` where they are of ``inp``."""
        p = self.products
        if p is None or not p.serves(self.b, inp):
            return self.apply(inp[idx])
        out = p(idx).mul_(self.b_scale)
        return self._with_lows(out, inp[idx]) if self.lows else out     # the rows are read only for low-rank terms

    def scorer(self, inp: sp.csr_matrix) -> Callable[[Tensor], Tensor]:
        """``users ↦`` their scores, their interaction rows those of ``inp`` (:meth:`score_rows`)."""
        def score(users: Tensor) -> Tensor:
            return self.score_rows(inp, users.long().cpu().numpy())
        return score

    def top_among(self, rows: sp.csr_matrix, extra: np.ndarray, seen: tuple[Tensor, Tensor],
                  k: int, reach: int | None = None) -> tuple[Tensor, Tensor]:
        """Top-``k`` unseen items of each user among candidates, scored exactly: the (at least) ``reach`` unseen items
        with the best sparse scores through ``B``'s rows cut to their :data:`REACH_ROW` largest entries (the items
        the user's items promote most, from one sparse product; a user with ``s`` seen items keeps its best
        ``reach + s`` reached items, then leaves the seen ones out) and ``extra`` (e.g. the most popular items, the
        same for every user). Each candidate's sparse score ``x_u B`` is then read exactly from its column of
        ``B`` and the low-rank terms are computed for the candidates only: ``(reach + extra) · (neighbours +
        rank)`` per user instead of ``items · rank``, whatever the catalogue. An item outside the candidates is not
        ranked even if its score would place it (the price of never scoring every item; the fit measures the
        share of the exact top-20 the candidates hold).

        Args:
            rows: ``[b, I]`` interaction rows of the users.
            extra: item ids every user gets as candidates.
            seen: ``(position in the batch, item)`` pairs to leave out.
            k: items per user.
            reach: reached items kept per user, by their sparse score (default :data:`REACH_CANDIDATES`).

        Returns:
            ``(items [b, k], scores [b, k])``, best first; item ``-1`` pads a user with fewer candidates.
        """
        if isinstance(self.b, Tensor):
            raise ValueError("top_among: the operator's B is dense; score every item instead")
        n = int(rows.shape[1])
        extra = np.unique(extra.astype(np.int64))
        reached = (rows @ self._reach_rows()).tocsr()       # each row's items once (in no particular order)
        is_extra = np.zeros(n, dtype=bool)
        is_extra[extra] = True
        own = np.bincount(seen[0].long().numpy(), minlength=rows.shape[0])   # a user's seen items may be reached
        cols, _ = _best_per_row(reached, is_extra[reached.indices], (reach or REACH_CANDIDATES) + own)
        cols = torch.cat([cols, torch.from_numpy(extra).expand(cols.size(0), -1)], 1)
        vals = torch.from_numpy(_sparse_at(self._columns(), rows, cols.numpy())).mul_(self.b_scale)
        x = to_torch(rows)
        for left, right, s in self.lows:
            vals.add_(_gathered_dots(x @ left, right, cols), alpha=s)
        keys = torch.arange(cols.size(0)).unsqueeze(1) * n + cols
        seen_keys = np.sort(seen[0].long().numpy() * n + seen[1].long().numpy())
        gone = (cols < 0) | torch.from_numpy(_member(keys.numpy().ravel(), seen_keys).reshape(keys.shape))
        vals[gone] = float("-inf")
        best, at = vals.topk(min(k, vals.size(1)), dim=1)
        items = torch.where(torch.isinf(best), torch.full_like(at, -1), cols.gather(1, at))
        if items.size(1) < k:
            pad = k - items.size(1)
            items = torch.cat([items, torch.full((items.size(0), pad), -1, dtype=torch.long)], 1)
            best = torch.cat([best, torch.full((best.size(0), pad), float("-inf"))], 1)
        return items, best

    def _reach_rows(self) -> sp.csr_matrix:
        """``B`` with each row cut to its :data:`REACH_ROW` largest entries (built once per sparse ``B``)."""
        if self._reach is None or self._reach[0] is not self.b:
            self._reach = (self.b, _row_top(sp.csr_matrix(self.b), REACH_ROW))
        return self._reach[1]

    def _columns(self) -> tuple[np.ndarray, np.ndarray]:
        """``B``'s columns padded (:func:`_padded_columns`; built once per sparse ``B``)."""
        if self._cols is None or self._cols[0] is not self.b:
            self._cols = (self.b, _padded_columns(sp.csc_matrix(self.b)))
        return self._cols[1]

    def matvec(self, omega: Tensor | sp.spmatrix) -> Tensor:
        """``M Ω`` for the ``[I, I]`` operator ``M = b_scale·B + Σ s·L Rᵀ`` (scores are ``x M``). A sparse
        ``omega`` (scipy) costs ``items · nnz(Ω)`` against a dense ``B``, not ``items² · columns``."""
        if sp.issparse(omega):
            return self._sparse_matvec(sp.csr_matrix(omega, dtype=np.float32))
        out = self.b @ omega if isinstance(self.b, Tensor) else torch.from_numpy(
            np.asarray(self.b @ omega.numpy(), dtype=np.float32))
        out = out * self.b_scale
        for left, right, s in self.lows:
            out.addmm_(left, right.T @ omega, alpha=s)
        return out

    def _sparse_matvec(self, omega: sp.csr_matrix) -> Tensor:
        wt = omega.T.tocsr()                                            # [c, I]: Ωᵀ, one row per column of Ω
        if isinstance(self.b, Tensor):
            out = torch.empty(int(self.b.size(0)), int(omega.shape[1]))
            for a in range(0, out.size(0), MATVEC_ROWS):              # (B Ω)ᵀ = Ωᵀ Bᵀ, a block of B's rows at a time
                block = self.b[a:a + MATVEC_ROWS].numpy()
                out[a:a + MATVEC_ROWS] = torch.from_numpy(np.asarray((wt @ block.T).T, dtype=np.float32))
        else:
            out = torch.from_numpy(np.asarray((self.b @ omega).toarray(), dtype=np.float32))
        out.mul_(self.b_scale)
        for left, right, s in self.lows:
            out.addmm_(left, torch.from_numpy(np.asarray((wt @ right.numpy()).T, dtype=np.float32)), alpha=s)
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


def _best_per_row(m: sp.csr_matrix, drop: np.ndarray, c: np.ndarray) -> tuple[Tensor, Tensor]:
    """Row ``r``'s ``c[r]`` largest entries of ``m`` except those where ``drop`` (a flag per stored entry): ``([b,
    w] columns, [b, w] values)``, column ``-1`` (value 0) padding a shorter row. A row within its cap is copied
    whole; a longer one is cut by one ``argpartition`` of its own entries (rows differ widely in length: padding
    a block of them to the longest, as a batched top-k must, made every row pay for it)."""
    b = int(m.shape[0])
    keep = ~drop
    row = np.repeat(np.arange(b), np.diff(m.indptr))[keep]
    col, val = m.indices[keep].astype(np.int64), m.data[keep].astype(np.float32)
    counts = np.bincount(row, minlength=b)
    starts = np.concatenate([[0], np.cumsum(counts)])
    width = np.minimum(counts, c)
    w = int(width.max()) if b else 0
    cols = np.full((b, w), -1, dtype=np.int64)
    vals = np.zeros((b, w), dtype=np.float32)
    whole = counts <= c
    at = whole[row]
    pos = np.arange(row.size) - starts[row]
    cols[row[at], pos[at]], vals[row[at], pos[at]] = col[at], val[at]
    for r in np.flatnonzero(~whole & (width > 0)):
        lo, hi, k = int(starts[r]), int(starts[r + 1]), int(width[r])
        best = lo + np.argpartition(-val[lo:hi], k - 1)[:k]
        cols[r, :k], vals[r, :k] = col[best], val[best]
    return torch.from_numpy(cols), torch.from_numpy(vals)


def _row_top(m: sp.csr_matrix, t: int) -> sp.csr_matrix:
    """``m`` with each row cut to its ``t`` largest entries."""
    counts = np.diff(m.indptr)
    keep = np.ones(m.nnz, dtype=bool)
    for r in np.flatnonzero(counts > t):
        lo, hi = int(m.indptr[r]), int(m.indptr[r + 1])
        keep[lo + np.argpartition(-m.data[lo:hi], t - 1)[t:]] = False
    rows = np.repeat(np.arange(m.shape[0]), counts)[keep]
    return sp.csr_matrix((m.data[keep], (rows, m.indices[keep])), shape=m.shape)


SPARSE_AT_USERS = 32
"""Users whose rows :func:`_sparse_at` spreads into one dense buffer at a time (``32 × items`` floats)."""


def _padded_columns(b: sp.csc_matrix) -> tuple[np.ndarray, np.ndarray]:
    """``B``'s columns as ``([n, w] rows, [n, w] values)``, ``w`` the longest column, padded with row ``n``
    (value 0)."""
    n = int(b.shape[0])
    lens = np.diff(b.indptr)
    w = int(lens.max()) if lens.size else 0
    rows = np.full((int(b.shape[1]), w), n, dtype=np.int32)
    vals = np.zeros((int(b.shape[1]), w), dtype=np.float32)
    col = np.repeat(np.arange(int(b.shape[1])), lens)
    slot = np.arange(b.nnz) - np.repeat(b.indptr[:-1], lens)
    rows[col, slot], vals[col, slot] = b.indices, b.data
    return rows, vals


def _sparse_at(columns: tuple[np.ndarray, np.ndarray], rows: sp.csr_matrix, cols: np.ndarray) -> np.ndarray:
    """``x_u B[:, j]`` for each user's candidates ``cols`` (``[b, c]``, ``-1``: 0), exactly: each candidate's
    column of ``B`` (:func:`_padded_columns`: its neighbours) read against the user's row, spread into a dense
    buffer :data:`SPARSE_AT_USERS` users at a time."""
    col_rows, col_vals = columns
    n = int(rows.shape[1])
    out = np.zeros(cols.shape, dtype=np.float32)
    buf = np.zeros((SPARSE_AT_USERS, n + 1), dtype=np.float32)       # column n: the padding's zero
    for a in range(0, cols.shape[0], SPARSE_AT_USERS):
        part = rows[a:a + SPARSE_AT_USERS]
        who = np.repeat(np.arange(part.shape[0]), np.diff(part.indptr))
        buf[who, part.indices] = part.data
        j = cols[a:a + SPARSE_AT_USERS]
        safe = np.maximum(j, 0)
        got = buf[np.arange(j.shape[0])[:, None, None], col_rows[safe]]          # [u, c, w]
        out[a:a + j.shape[0]] = np.where(j >= 0, (got * col_vals[safe]).sum(2), 0.0)
        buf[who, part.indices] = 0.0
    return out


def _gathered_dots(q: Tensor, right: Tensor, cols: Tensor) -> Tensor:
    """``[b, c]`` of ``q[u] · right[cols[u, j]]`` (0 where ``cols`` is -1): a few users at a time, their rows of
    ``right`` gathered into a block that stays in cache (at most :data:`GATHER_ENTRIES` floats) and multiplied in
    one batched product (3× the pace of one large gather here)."""
    out = torch.zeros(cols.shape)
    if not cols.numel():
        return out
    step = max(1, GATHER_ENTRIES // max(1, cols.size(1) * right.size(1)))
    for a in range(0, cols.size(0), step):
        c = cols[a:a + step].clamp(min=0)
        rows = right.index_select(0, c.reshape(-1)).view(c.size(0), c.size(1), right.size(1))
        out[a:a + step] = torch.bmm(rows, q[a:a + step].unsqueeze(2)).squeeze(2)
    return out.masked_fill_(cols < 0, 0.0)


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
    def build(cls, inp: sp.csr_matrix, side: SideInfo | None, neighbours: int, progress: bool = False) -> SparseInputs:
        """From the ``[U, I]`` interactions and the side information (``None``: interactions only); ``progress``:
        a bar on stderr over the neighbour lists' items."""
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
        gram = neighbour_gram(channels, neighbours, progress=progress)
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
        w = self.weights(weights)
        stacked = sp.vstack([c * wc for c, wc in zip(self.channels, w, strict=True) if wc > 0]).tocsr()
        rows = int(stacked.shape[0])
        k = min(k, n - 1, rows - 1)
        if k < 1:
            return None
        _, _, v = randomized_svd(*products(stacked), n, k, niter=4, seed=seed, rows=rows, left=False)
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
