"""Closed-form item–item models: tensors in, tensors out.

* :func:`ease` — EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019):
  ``B = I - P·diag(1/diag(P))`` with ``P = (G + λI)⁻¹`` and a zero diagonal, from the item Gram matrix
  ``G = XᵀX``. Dense: ``3·4·n²`` bytes for ``n`` items (see :func:`ease_bytes`).
* the same least-squares objective restricted to each item's strongest co-occurring items, for catalogues
  above the dense bound, is :mod:`graphrec.nn.scalable` (no ``n²`` matrix at all).
* :func:`ideal_lowpass` — the ideal low-pass graph filter of GF-CF (Shen et al., "How Powerful is Graph
  Convolution for Recommendation?", CIKM 2021): ``D^-½ V_k V_kᵀ D^½`` from the top-``k`` right singular
  vectors of the degree-normalised interaction matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.nn.scalable import products, randomized_svd


def ease_bytes(num_items: int, buffers: int = 3) -> int:
    """Peak bytes of a dense float32 EASE solve: ``buffers`` ``n²`` matrices (the Gram matrix, its
    factor/inverse and ``B``: 3; the ``graph`` model's weight search keeps the best inverse beside them: 4)."""
    return buffers * 4 * num_items * num_items


def ease_inverse(gram: Tensor, lam: float) -> Tensor:
    """``P = (G + λI)⁻¹`` by Cholesky, the one cubic step of EASE (``gram`` is modified in place).

    On the CPU the inverse of the factor is LAPACK's ``potri`` from scipy's OpenBLAS, with as many threads
    as torch has: measured here 1.8× faster than torch's ``cholesky_inverse`` (MKL) at 9,000 items
    (47 s vs 86 s on two loaded cores); on CUDA it is torch's.
    """
    if lam <= 0:
        raise ValueError(f"lam must be positive, got {lam}")
    gram.diagonal().add_(lam)
    factor = torch.linalg.cholesky(gram)
    del gram
    if factor.device.type != "cpu":
        return torch.cholesky_inverse(factor)
    from scipy.linalg import lapack
    from threadpoolctl import threadpool_limits

    upper = factor.numpy().T                # G = UᵀU with U = Lᵀ, Fortran-ordered: no copy
    potri = lapack.dpotri if upper.dtype == np.float64 else lapack.spotri
    with threadpool_limits(limits=torch.get_num_threads(), user_api="blas"):
        inv, info = potri(upper, lower=0, overwrite_c=1)
    if info != 0:
        raise ValueError(f"potri failed (info={info}): the Gram matrix plus λ is not positive definite")
    out = torch.from_numpy(inv.T)           # C-ordered; its lower triangle holds P (potri fills one)
    del factor, upper
    return _mirror_lower(out)


def _mirror_lower(m: Tensor, block: int = 1024) -> Tensor:
    """Copy the lower triangle of square ``m`` onto its upper one, in place, a block of rows at a time."""
    n = m.size(0)
    for a in range(0, n, block):
        b = min(a + block, n)
        d = m[a:b, a:b]
        d.copy_(d.tril() + d.tril(-1).T)
        if b < n:
            m[a:b, b:].copy_(m[b:, a:b].T)
    return m


def woodbury(p: Tensor, u: Tensor, pu: Tensor | None = None) -> Tensor:
    """``(A + UUᵀ)⁻¹`` from ``P = A⁻¹`` (``[n, n]``) and ``U`` (``[n, k]``, ``k ≪ n``): ``P - PU(I + UᵀPU)⁻¹UᵀP``.

    ``O(n²k)`` instead of a new ``O(n³)`` inverse: how a side channel of low rank (item text, ``k`` = the
    embedding width) is weighed without another solve. ``p`` is not modified; ``pu`` is ``P @ U`` when the
    caller has it (several weights of one channel: ``P(wU) = w·PU``).
    """
    pu = p @ u if pu is None else pu
    inner = torch.eye(u.size(1), dtype=p.dtype, device=p.device).addmm_(u.T, pu)
    return p.clone().addmm_(pu, torch.linalg.solve(inner, pu.T), alpha=-1.0)   # peak: two n² buffers


def ease_weights(p: Tensor) -> Tensor:
    """EASE's ``B = I - P·diag(1/diag(P))`` with a zero diagonal, in place of ``p`` (Steck 2019, eq. 8)."""
    diag = p.diagonal().clone()
    p.div_(-diag)              # column j divided by -P_jj
    p.fill_diagonal_(0.0)
    return p


def ease(gram: Tensor, lam: float) -> Tensor:
    """Dense EASE weights ``B`` (``[n, n]``, zero diagonal) from a Gram matrix; scores are ``x_u @ B``.

    Args:
        gram: ``[n, n]`` symmetric positive semi-definite item Gram matrix (float32 or float64); it is
            modified in place (its diagonal gets ``λ``) to keep one ``n²`` buffer.
        lam: L2 weight λ (> 0).
    """
    return ease_weights(ease_inverse(gram, lam))


def ideal_lowpass(norm_adj: sp.spmatrix | Tensor, item_degree: Tensor, k: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    """GF-CF's ideal low-pass item–item filter ``D^-½ V_k V_kᵀ D^½`` as its two ``[n, k]`` factors.

    Scores are ``(x_u @ left) @ right.T``; the ``[n, n]`` filter itself is never formed.

    Args:
        norm_adj: ``[rows, n]`` degree-normalised interaction matrix ``D_r^-½ R D_i^-½`` (scipy sparse, or a
            dense tensor).
        item_degree: ``[n]`` item degrees (column sums of ``R``), clamped to >= 1 by the caller.
        k: number of singular vectors (< n).
        seed: seed of the randomised SVD (default: 0); the global RNG is left as it was.

    Returns:
        ``(left, right)`` = ``(D^-½ V_k, D^½ V_k)``.
    """
    rows, n = int(norm_adj.shape[0]), int(norm_adj.shape[1])
    k = max(1, min(k, rows - 1, n - 1))
    if isinstance(norm_adj, Tensor):
        dense = norm_adj.float()
        matvec, rmatvec = (lambda o: dense @ o), (lambda o: dense.T @ o)
    else:
        matvec, rmatvec = products(norm_adj)
    _, _, v = randomized_svd(matvec, rmatvec, n, k, niter=4, seed=seed, oversample=16, rows=rows, left=False)
    vk = v[:, :k].float()
    d = item_degree.float()
    return d.rsqrt().unsqueeze(1) * vk, d.sqrt().unsqueeze(1) * vk
