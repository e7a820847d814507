"""Item–item models for catalogues whose ``items²`` matrices do not fit: sparse neighbourhoods, low-rank factors.

Nothing here allocates an ``[items, items]`` dense matrix; memory is ``O(items · neighbours)`` plus the
low-rank factors.

* :func:`neighbour_gram` — the stacked Gram matrix ``G = Σ_c S_cᵀ S_c`` of sparse channels (interactions,
  side behaviours, entity rows) kept as each item's ``m`` strongest co-occurring items, with each channel's
  value kept apart so that a channel's weight can change without recomputing. It is built a block of item
  columns at a time from sparse products (cost ``Σ_rows degree²``), never densely.
* :func:`neighbourhood_solve` — EASE's column problem restricted to that neighbourhood,
  ``b_j = (G_NN + FF_Nᵀ + λI)⁻¹ (G_Nj + F_N f_j)``, solved for a batch of items at once (the sparse
  variant of EASE that SLIM-style neighbourhood models use, Ning & Karypis 2011). A pair of neighbours whose
  Gram value neither list holds is compensated on the diagonal so that every system stays positive definite
  (:func:`_compensate`). ``F`` holds channels of
  low rank (text embeddings, and rows too dense to keep sparse, e.g. a genre linked to half the catalogue)
  as dense ``[items, k]`` factors. With every item in every neighbourhood and no factor it *is* dense EASE:
  column ``j`` of EASE's ``B`` solves exactly this least-squares problem (Steck 2019, §2).
  With :class:`Latent` features each column also regresses on ``k`` global user factors (item ``j``'s own
  share left out), so that what lies outside the neighbourhood is still seen through a low-rank part.
* :func:`randomized_svd` — a rank-``q`` SVD of an operator known only through products with blocks of
  vectors (Halko, Martinsson & Tropp, SIAM Review 2011, algorithms 4.4 and 5.1): vectors for the vector
  index without forming the operator, and (with :func:`products` of a sparse matrix) the filter's and the
  latent features' singular vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor
from tqdm.auto import tqdm

MatVec = Callable[[Tensor], Tensor]
"""``f(Ω)`` → the operator (or its transpose) times a dense ``[items, q]`` block."""


@dataclass
class NeighbourGram:
    """Each item's ``m`` strongest co-occurring items and the stacked Gram matrix on those pairs.

    Attributes:
        nbr: ``[n, m]`` neighbour ids per item, ascending; ``n`` pads a shorter list. :func:`neighbour_gram` makes
            them int32 (int64 past 2³¹ items): the lists are 1 GB at 1M items × 256 neighbours instead of 2, and
            a sparse solve, which gathers and searches them for every system, took 4.4 s instead of 5.7 on
            every 6th lastfm-2k column.
        vals: ``[C, n, m]`` float32 ``G_c[item, nbr]`` of each sparse channel ``c`` (unit weight).
        diag: ``[C, n]`` float32 ``G_c[item, item]`` of each channel.
    """

    nbr: Tensor
    vals: Tensor
    diag: Tensor

    @property
    def num_items(self) -> int:
        return int(self.nbr.size(0))

    def weighted(self, weights: Sequence[float]) -> tuple[Tensor, Tensor]:
        """``(vals, diag)`` of ``Σ_c w_c² G_c`` (a channel's rows are scaled by ``w_c``)."""
        w = torch.tensor([float(x) ** 2 for x in weights], dtype=torch.float32)
        if w.numel() != self.vals.size(0):
            raise ValueError(f"weights: expected {self.vals.size(0)} channel weights, got {w.numel()}")
        return torch.einsum("c,cnm->nm", w, self.vals), w @ self.diag


def _descending_key(val: np.ndarray) -> np.ndarray:
    """An ``int64`` per float32 value that orders as the values do, largest first (the IEEE-754 bits with the
    sign folded in: one integer key instead of a float sort key)."""
    bits = val.astype(np.float32).view(np.uint32)
    ascending = bits ^ np.where(bits >> 31, np.uint32(0xFFFFFFFF), np.uint32(0x80000000))
    return (np.uint32(0xFFFFFFFF) - ascending).astype(np.int64)


def _entry_cols(gram_block: sp.csc_matrix) -> np.ndarray:
    """The column of each stored entry of a CSC block (``int64``)."""
    return np.repeat(np.arange(gram_block.shape[1], dtype=np.int64), np.diff(gram_block.indptr))


def _column_block_top(gram_block: sp.csc_matrix, first: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the ``m`` largest off-diagonal entries of each column of ``gram_block`` (whose column ``k`` is
    item ``first + k``): ``(col, row)`` arrays.

    One stable sort of an integer key (column, then value descending) over entries already in (column, row)
    order: ties keep the lower item id first, as a three-key ``lexsort`` would, at a fifth of its cost."""
    gram_block.sort_indices()
    ncol = int(gram_block.shape[1])
    col = _entry_cols(gram_block)
    row, val = gram_block.indices.astype(np.int64), gram_block.data
    keep = row != col + first
    row, col, val = row[keep], col[keep], val[keep]
    order = np.argsort((col << 32) | _descending_key(val), kind="stable")
    row, col = row[order], col[order]
    starts = np.searchsorted(col, np.arange(ncol))
    rank = np.arange(col.size) - starts[col]
    take = rank < m
    return col[take], row[take]


def _entry_keys(gram_block: sp.csc_matrix) -> np.ndarray:
    """``column << 32 | row`` of each stored entry of a CSC block with sorted indices: ascending."""
    keys: np.ndarray = (_entry_cols(gram_block) << 32) | gram_block.indices.astype(np.int64)
    return keys


def _values_at(gram_block: sp.csc_matrix, row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """``gram_block[row, col]`` (0 where nothing is stored) by one binary search of the entries' keys: a fifteenth
    of scipy's fancy indexing on a block of the Gram."""
    gram_block.sort_indices()
    keys = _entry_keys(gram_block)
    want = (col.astype(np.int64) << 32) | row.astype(np.int64)
    if keys.size == 0:
        return np.zeros(want.size, dtype=np.float32)
    pos = np.searchsorted(keys, want).clip(max=keys.size - 1)
    return np.where(keys[pos] == want, gram_block.data[pos], 0).astype(np.float32)


def neighbour_gram(channels: Sequence[sp.csr_matrix], m: int, block_entries: int = 1 << 24,
                   progress: bool = False) -> NeighbourGram:
    """The strongest ``m`` neighbours of every item under ``Σ_c S_cᵀ S_c`` (unit weights) and every channel's
    Gram value on them.

    Args:
        channels: sparse ``[rows_c, n]`` matrices (same ``n``), e.g. interactions, side behaviours, entity rows.
        m: neighbours kept per item (``< n``).
        block_entries: bound on the non-zeros of one block of Gram columns: items per block are chosen
            so that a block's sparse product stays near it (default: 16M, ~200 MB).
        progress: a bar on stderr over the items whose lists are done.
    """
    n = int(channels[0].shape[1])
    m = max(1, min(m, n - 1))
    cols_major = [c.tocsc().astype(np.float32) for c in channels]
    rows_major = [c.T.tocsr().astype(np.float32) for c in cols_major]       # [n, rows_c]
    total = sp.vstack(cols_major).tocsc()
    # non-zeros of item j's Gram column ≤ Σ over its rows of the row degree: size blocks by that bound
    row_deg = np.asarray((total != 0).sum(1)).ravel()
    col_cost = np.asarray(total.T.astype(bool).astype(np.float32) @ row_deg.astype(np.float32)).ravel()
    nbr = np.full((n, m), n, dtype=np.int32 if n < np.iinfo(np.int32).max else np.int64)   # half the bytes
    vals = np.zeros((len(channels), n, m), dtype=np.float32)
    bar = tqdm(total=n, desc="  neighbour lists", unit="item", disable=not progress, mininterval=10)
    start = 0
    while start < n:
        end = start + 1
        budget = float(col_cost[start])
        while end < n and budget + col_cost[end] <= block_entries:
            budget += col_cost[end]
            end += 1
        grams = [(rm @ cm[:, start:end]).tocsc() for cm, rm in zip(cols_major, rows_major, strict=True)]
        col, row = _column_block_top(sum(grams[1:], grams[0]).tocsc(), start, m)
        order = np.argsort((col << 32) | row)         # ascending neighbour ids within each item
        col, row = col[order], row[order]
        slot = np.arange(col.size) - np.searchsorted(col, col)
        items = col + start
        nbr[items, slot] = row
        for c, g in enumerate(grams):
            vals[c, items, slot] = _values_at(g, row, col)
        bar.update(end - start)
        start = end
    bar.close()
    diag = np.stack([np.asarray(cm.multiply(cm).sum(0)).ravel() for cm in cols_major]).astype(np.float32)
    return NeighbourGram(torch.from_numpy(nbr), torch.from_numpy(vals), torch.from_numpy(diag))


def _gather_block(nbr: Tensor, vals: Tensor, nb: Tensor) -> Tensor:
    """``G[nb_a, nb_c]`` for each row of ``nb`` (``[b, m]``) from the neighbour lists: an entry is known when
    either item lists the other (the larger of the two values, which agree when both do), else 0."""
    n = nbr.size(0)
    safe = nb.clamp(max=n - 1)
    lists = nbr[safe]                                                     # [b, m, m] sorted ids per row
    query = nb.unsqueeze(1).expand(-1, nb.size(1), -1).contiguous()       # [b, m(a), m(c)]
    pos = torch.searchsorted(lists, query).clamp(max=nbr.size(1) - 1)
    hit = (lists.gather(2, pos) == query) & (nb < n).unsqueeze(2) & (nb < n).unsqueeze(1)
    g = torch.where(hit, vals[safe].gather(2, pos), torch.zeros((), dtype=vals.dtype))
    return torch.maximum(g, g.transpose(1, 2))


def _dropped_bound(ng: NeighbourGram, weights: Sequence[float]) -> Tensor:
    """``[n]`` bounds on a Gram value that an item's list leaves out: every unlisted item's unit-weight value is at
    most the smallest listed one (0 when the list is not full: then every co-occurring item is listed), and a
    channel weight scales a value by at most ``max w²``."""
    unit = ng.vals.sum(0)
    return unit.min(dim=1).values.clamp(min=0) * max(float(w) ** 2 for w in weights)


def _compensate(a: Tensor, nb: Tensor, bound: Tensor) -> None:
    """Keep each neighbourhood block positive semi-definite, in place.

    The block ``G_NN`` knows a pair's Gram value only when one of the two lists the other; the rest are read as
    0, and a Gram matrix with entries dropped is in general indefinite (on ml-100k with 256 of 1,682 items as
    neighbours, 98% of the systems were, and conjugate gradients diverged). Dropping a pair's value ``g ≥ 0`` and
    adding ``g`` to both diagonals adds the PSD block ``[[g, -g], [-g, g]]`` to the true ``G_NN``, so it stays
    PSD; adding a bound ``≥ g`` (``min`` of the two items' :func:`_dropped_bound`) adds a further PSD diagonal.
    """
    n = bound.numel() - 1
    real = nb < n
    miss = (a == 0) & real.unsqueeze(2) & real.unsqueeze(1)
    miss.diagonal(dim1=1, dim2=2).fill_(False)
    k = bound[nb]
    pair = torch.minimum(k.unsqueeze(2), k.unsqueeze(1))
    a.diagonal(dim1=1, dim2=2).add_(torch.where(miss, pair, torch.zeros((), dtype=a.dtype)).sum(2))


def _robust_solve(a: Tensor, rhs: Tensor, floor: float) -> Tensor:
    """Solve the batched symmetric systems ``a x = rhs`` by Cholesky; a system that is not positive definite
    (the sparsified Gram block need not be) is solved on its eigenvalues clamped to ``floor``."""
    chol, info = torch.linalg.cholesky_ex(a)
    x = torch.cholesky_solve(rhs, chol)
    bad = (info != 0).nonzero().flatten()
    if bad.numel():
        w, v = torch.linalg.eigh(a[bad].double())
        inv = 1.0 / w.clamp(min=floor)
        x[bad] = (v @ (inv.unsqueeze(2) * (v.transpose(1, 2) @ rhs[bad].double()))).to(x.dtype)
    return x


CG_STEPS = 12
"""Conjugate-gradient steps per system where the direct solve would be too slow (implicit's ALS takes 3)."""
DIRECT_FLOPS = 2e9
"""Total Cholesky work (``n·w³/3``) under which :func:`neighbourhood_solve` solves exactly."""


def _cg_solve(a: Tensor, rhs: Tensor, steps: int = CG_STEPS) -> Tensor:
    """``a x = rhs`` for a batch of symmetric systems by Jacobi-preconditioned conjugate gradients: ``steps``
    batched matrix–vector products instead of a cubic factorisation (8× faster at width 175 here). A system
    that is not positive definite stops improving where its curvature turns non-positive."""
    d = a.diagonal(dim1=1, dim2=2).unsqueeze(2).clamp(min=1e-12)
    x = torch.zeros_like(rhs)
    r = rhs.clone()
    z = r / d
    p = z.clone()
    rz = (r * z).sum(1, keepdim=True)
    for _ in range(steps):
        ap = torch.bmm(a, p)
        curv = (p * ap).sum(1, keepdim=True)
        alpha = torch.where(curv > 0, rz / curv.clamp(min=1e-30), torch.zeros_like(curv))
        x.add_(alpha * p)
        r.sub_(alpha * ap)
        z = r / d
        rz_new = (r * z).sum(1, keepdim=True)
        p = z + torch.where(rz > 0, rz_new / rz.clamp(min=1e-30), torch.zeros_like(rz)) * p
        rz = rz_new
    return x


@dataclass
class Latent:
    """Global latent features beside each item's neighbourhood: ``V`` (``[n, k]``, e.g. the top right singular
    vectors of the stacked matrix) with ``GV`` (``[n, k]``, the full Gram matrix times ``V``)."""

    v: Tensor
    gv: Tensor


def neighbourhood_solve(ng: NeighbourGram, weights: Sequence[float], lam: float, factor: Tensor | None = None,
                        latent: Latent | None = None, batch: int = 256, columns: Tensor | None = None,
                        direct: bool | None = None) -> tuple[sp.csr_matrix, Tensor | None]:
    """EASE restricted to each item's neighbourhood, plus (with ``latent``) ``k`` global features.

    Column ``j`` regresses item ``j`` on its neighbours ``N`` and on the users' latent features with item ``j``'s
    own share left out, ``Z₋ⱼ = S V - s_j v_jᵀ`` (so that ``j`` cannot predict itself, EASE's zero diagonal):
    ``min ‖s_j - S_N b - Z₋ⱼ c‖² + λ(‖b‖² + ‖c‖²)``. Every block of its normal equations comes from the
    neighbourhood Gram values, ``GV`` and ``VᵀGV``, so it costs ``(m + k)³`` per item and nothing ``n²``. An
    unseen item's score is then ``x_u B + (x_u V) cⱼ``: a sparse part and a low-rank part. The systems are
    solved exactly (Cholesky) while the total work is under :data:`DIRECT_FLOPS`, else by
    :data:`CG_STEPS` steps of preconditioned conjugate gradients.

    Args:
        ng: the neighbourhoods and Gram values.
        weights: one weight per channel of ``ng`` (a channel's rows scaled by it).
        lam: L2 weight λ (> 0).
        factor: ``[n, f]`` dense low-rank channels (already weighted): ``FFᵀ`` is added to the Gram matrix.
        latent: global features, or ``None`` for the neighbourhoods alone.
        batch: items solved at once (default: 256).
        columns: solve only these items' columns (each exactly as in the full solve: a column's system does
            not depend on the others), e.g. a sample to choose λ on; default: every item.
        direct: Cholesky (``True``) or conjugate gradients (``False``); default: by :data:`DIRECT_FLOPS`.

    Returns:
        ``(B, C)``: ``B`` a sparse ``[n, c]`` CSR matrix over the ``c`` solved columns (``score = x B``, zero
        diagonal when every column is solved), ``C`` the ``[c, k]`` latent weights (``None`` without
        ``latent``).
    """
    if lam <= 0:
        raise ValueError(f"lam must be positive, got {lam}")
    vals, diag = ng.weighted(weights)
    n, m = ng.nbr.shape
    k = 0 if latent is None else int(latent.v.size(1))
    cols = torch.arange(n) if columns is None else columns.long().cpu()
    c = int(cols.numel())
    out = torch.zeros(c, m + k, dtype=torch.float32)
    f_pad = None if factor is None else torch.cat([factor.float(), factor.new_zeros(1, factor.size(1)).float()])
    d_pad = torch.cat([diag, diag.new_zeros(1)])
    d_full = d_pad + f_pad.pow(2).sum(1) if f_pad is not None else d_pad       # G_jj with the factor's share
    direct = c * (m + k) ** 3 / 3 <= DIRECT_FLOPS if direct is None else direct
    bound_pad = torch.cat([_dropped_bound(ng, weights), vals.new_zeros(1)])
    blocks = _LatentBlocks.of(latent) if latent is not None else None
    for s in range(0, c, batch):
        at = torch.arange(s, min(s + batch, c))
        items = cols[at]
        nb = ng.nbr[items]                                               # [b, m]
        a = _gather_block(ng.nbr, vals, nb)
        a.diagonal(dim1=1, dim2=2).copy_(d_pad[nb])
        _compensate(a, nb, bound_pad)
        rhs = vals[items].unsqueeze(2).clone()                           # G[nb, j]
        if f_pad is not None:
            fn = f_pad[nb]                                               # [b, m, f]
            a.baddbmm_(fn, fn.transpose(1, 2))
            rhs.baddbmm_(fn, f_pad[items].unsqueeze(2))
        if latent is not None and blocks is not None:
            a, rhs = _with_latent(a, rhs, latent, nb, items, d_full[items], blocks)
        a.diagonal(dim1=1, dim2=2).add_(lam)
        out[at] = (_robust_solve(a, rhs, lam) if direct else _cg_solve(a, rhs, CG_STEPS)).squeeze(2)
    nbr = ng.nbr[cols]
    keep = nbr < n
    at_col = torch.arange(c).unsqueeze(1).expand(c, m)[keep].numpy()
    rows = nbr[keep].numpy()
    b = sp.csr_matrix((out[:, :m][keep].numpy(), (rows, at_col)), shape=(n, c))
    b.eliminate_zeros()
    return b, (out[:, m:].contiguous() if latent is not None else None)


@dataclass
class _LatentBlocks:
    """What every batch of :func:`_with_latent` shares: ``GV`` with a zero row for the padding neighbour
    (``[n+1, k]``) and ``VᵀGV`` (``[k, k]``) — computed once per solve (each is ``n·k`` or ``n·k²`` work, which
    per batch of 256 items was most of a 1M-item solve)."""

    gv_pad: Tensor
    vtgv: Tensor

    @classmethod
    def of(cls, latent: Latent) -> _LatentBlocks:
        k = int(latent.v.size(1))
        return cls(torch.cat([latent.gv, latent.gv.new_zeros(1, k)]), latent.v.T @ latent.gv)


def _with_latent(a: Tensor, rhs: Tensor, latent: Latent, nb: Tensor, items: Tensor,
                 gjj: Tensor, blocks: _LatentBlocks) -> tuple[Tensor, Tensor]:
    """The normal equations of :func:`neighbourhood_solve` bordered by the latent block (``[b, m+k, m+k]``)."""
    gv_pad, vtgv = blocks.gv_pad, blocks.vtgv
    vj, gvj = latent.v[items], latent.gv[items]                          # [b, k]
    a12 = gv_pad[nb] - rhs * vj.unsqueeze(1)                             # Sₙᵀ Z₋ⱼ = (GV)_N - G_Nj v_jᵀ
    a22 = (vtgv.unsqueeze(0) - gvj.unsqueeze(2) * vj.unsqueeze(1) - vj.unsqueeze(2) * gvj.unsqueeze(1)
           + gjj.view(-1, 1, 1) * vj.unsqueeze(2) * vj.unsqueeze(1))
    top = torch.cat([a, a12], 2)
    bottom = torch.cat([a12.transpose(1, 2), a22], 2)
    rhs2 = (gvj - gjj.unsqueeze(1) * vj).unsqueeze(2)                    # Z₋ⱼᵀ s_j
    return torch.cat([top, bottom], 1), torch.cat([rhs, rhs2], 1)


COND_CHOLESKY_QR = 1e3
"""Largest condition number (estimated from the Cholesky factor's diagonal) at which :func:`_orthonormal` keeps
CholeskyQR2; above it, Householder QR."""


ORTHONORMAL_ROWS = 65_536
"""Rows of the block :func:`_orthonormal` multiplies by ``R⁻¹`` at a time (in place: ~38 MB at 144 columns)."""


def _orthonormal(x: Tensor) -> Tensor:
    """An orthonormal basis of the columns of a tall ``x``: CholeskyQR2 — twice ``x ← x R⁻¹`` with ``RᵀR = xᵀx``,
    all matrix–matrix products (Fukaya et al., ScalA 2014) — while ``x`` is well conditioned, else Householder
    QR. A power iteration's block has a condition number near the ratio of the singular values it holds; on a
    2,000,000 × 144 block one Householder QR here was most of a randomised SVD, CholeskyQR2 a fifth of it.
    ``x ← x R⁻¹`` overwrites ``x`` a band of rows at a time, so the basis costs no second block (1.1 GB at
    2M × 144): pass a block nothing else reads."""
    for _ in range(2):
        r, info = torch.linalg.cholesky_ex((x.T @ x).double(), upper=True)
        d = r.diagonal()
        if int(info) != 0 or float(d.min()) <= 0.0 or float(d.max() / d.min()) > COND_CHOLESKY_QR:
            basis: Tensor = torch.linalg.qr(x).Q
            return basis
        rinv = torch.linalg.inv(r).to(x.dtype)
        for start in range(0, x.size(0), ORTHONORMAL_ROWS):
            band = x[start:start + ORTHONORMAL_ROWS]
            band.copy_(band @ rinv)
    return x


def products(a: sp.spmatrix) -> tuple[MatVec, MatVec]:
    """``(Ω ↦ AΩ, Ω ↦ AᵀΩ)`` of a scipy sparse ``a`` in float32 (CSR for ``A``, its CSC view for ``Aᵀ``: half of
    torch's COO product time on a 600,000 × 200,000 matrix here)."""
    csr = sp.csr_matrix(a, dtype=np.float32)
    csc_t = csr.T

    def times(m: sp.spmatrix) -> MatVec:
        return lambda o: torch.from_numpy(np.asarray(m @ o.float().contiguous().numpy(), dtype=np.float32))

    return times(csr), times(csc_t)


def randomized_svd(matvec: MatVec, rmatvec: MatVec, n: int, q: int, niter: int = 4,
                   seed: int = 0, oversample: int = 10, rows: int | None = None,
                   left: bool = True) -> tuple[Tensor, Tensor, Tensor]:
    """Rank-``q`` SVD ``M ≈ U diag(S) Vᵀ`` of an ``[r, n]`` operator known by ``matvec(Ω) = MΩ`` and
    ``rmatvec(Ω) = MᵀΩ`` (randomised range finder with ``oversample`` extra vectors and ``niter`` power
    iterations, Halko et al. 2011; each block orthonormalised by :func:`_orthonormal`); ``rows``: ``r``, which
    the block of ``q + oversample`` vectors does not pass (default: ``n``); ``left=False`` skips forming ``U``
    (an ``[r, q]`` block: 1 GB at two million rows) for callers that need only ``V``. One ``[r, q + oversample]``
    block is alive at a time.

    Returns:
        ``(U [r, q], S [q], V [n, q])`` (``U`` is ``[0, q]`` with ``left=False``); the global RNG is left as it
        was.
    """
    q = max(1, min(q, n))
    over = min(n, q + oversample, max(q, n if rows is None else rows))
    gen = torch.Generator().manual_seed(seed)
    qm = _orthonormal(matvec(torch.randn(n, over, generator=gen)))
    for _ in range(niter):
        side = _orthonormal(rmatvec(qm))
        del qm                           # one [r, over] block alive at a time
        qm = _orthonormal(matvec(side))
        del side
    bt = rmatvec(qm)                     # (Qᵀ M)ᵀ = Mᵀ Q: [n, over]
    if not left:
        del qm                           # V needs only Mᵀ Q
    ub, s, vt = torch.linalg.svd(bt.T, full_matrices=False)
    del bt
    v = vt[:q].T.contiguous()
    del vt
    u = qm @ ub[:, :q] if left else v.new_zeros(0, q)
    return u, s[:q].contiguous(), v
