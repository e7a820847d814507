"""Closed-form item–item models: tensors in, tensors out.

* :func:`ease` — EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019):
  ``B = I - P·diag(1/diag(P))`` with ``P = (G + λI)⁻¹`` and a zero diagonal, from the item Gram matrix
  ``G = XᵀX``. Dense: ``3·4·n²`` bytes for ``n`` items (see :func:`ease_bytes`).
* :func:`neighbourhood_ease` — the same least-squares objective restricted to each item's ``m`` strongest
  co-occurring items (a SLIM-style sparse variant, Ning & Karypis 2011, solved per item in closed form),
  ``O(n·m²)`` memory: what graphrec uses above the dense bound.
* :func:`ideal_lowpass` — the ideal low-pass graph filter of GF-CF (Shen et al., "How Powerful is Graph
  Convolution for Recommendation?", CIKM 2021): ``D^-½ V_k V_kᵀ D^½`` from the top-``k`` right singular
  vectors of the degree-normalised interaction matrix.
"""

from __future__ import annotations

import torch
from torch import Tensor


def ease_bytes(num_items: int) -> int:
    """Peak bytes of a dense float32 EASE solve: the Gram matrix, its factor/inverse and ``B``."""
    return 3 * 4 * num_items * num_items


def ease(gram: Tensor, lam: float) -> Tensor:
    """Dense EASE weights ``B`` (``[n, n]``, zero diagonal) from a Gram matrix; scores are ``x_u @ B``.

    Args:
        gram: ``[n, n]`` symmetric positive semi-definite item Gram matrix (float32 or float64); it is
            modified in place (its diagonal gets ``λ``) to keep one ``n²`` buffer.
        lam: L2 weight λ (> 0).
    """
    if lam <= 0:
        raise ValueError(f"lam must be positive, got {lam}")
    gram.diagonal().add_(lam)
    factor = torch.linalg.cholesky(gram)
    del gram
    p = torch.cholesky_inverse(factor)
    del factor
    diag = p.diagonal().clone()
    p.div_(-diag)              # column j divided by -P_jj
    p.fill_diagonal_(0.0)
    return p


def neighbourhood_ease(gram: Tensor, lam: float, neighbours: int, chunk: int = 512) -> Tensor:
    """Sparse EASE: column ``j`` regresses item ``j`` on its ``neighbours`` highest-co-occurrence items.

    Solves ``(G_NN + λI) b = G_Nj`` per item ``j`` (``N`` = its neighbourhood, ``j`` excluded).

    Args:
        gram: ``[n, n]`` item Gram matrix as a sparse COO/CSR tensor or dense tensor.
        lam: L2 weight λ (> 0).
        neighbours: neighbourhood size ``m``.
        chunk: items solved at once (default: 512).

    Returns:
        ``B`` as a sparse COO tensor ``[n, n]`` with at most ``m`` non-zeros per column.
    """
    if lam <= 0 or neighbours < 1:
        raise ValueError(f"lam must be positive and neighbours >= 1, got {lam}, {neighbours}")
    g = gram.to_dense() if gram.is_sparse or gram.layout != torch.strided else gram
    n = g.size(0)
    m = min(neighbours, n - 1)
    rows_out: list[Tensor] = []
    cols_out: list[Tensor] = []
    vals_out: list[Tensor] = []
    eye = torch.eye(m, dtype=g.dtype)
    for s in range(0, n, chunk):
        cols = torch.arange(s, min(s + chunk, n))
        c = g[:, cols].clone()
        c[cols, torch.arange(cols.numel())] = float("-inf")        # never its own neighbour
        nb = torch.topk(c, m, dim=0).indices.T                      # [b, m]
        gnn = g[nb.unsqueeze(2), nb.unsqueeze(1)] + lam * eye       # [b, m, m]
        gnj = g[nb, cols.unsqueeze(1)].unsqueeze(2)                 # [b, m, 1]
        b = torch.linalg.solve(gnn, gnj).squeeze(2)                 # [b, m]
        rows_out.append(nb.reshape(-1))
        cols_out.append(cols.repeat_interleave(m))
        vals_out.append(b.reshape(-1))
    idx = torch.stack([torch.cat(rows_out), torch.cat(cols_out)])
    return torch.sparse_coo_tensor(idx, torch.cat(vals_out), (n, n)).coalesce()


def ideal_lowpass(norm_adj: Tensor, item_degree: Tensor, k: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    """GF-CF's ideal low-pass item–item filter ``D^-½ V_k V_kᵀ D^½`` as its two ``[n, k]`` factors.

    Scores are ``(x_u @ left) @ right.T``; the ``[n, n]`` filter itself is never formed.

    Args:
        norm_adj: ``[rows, n]`` degree-normalised interaction matrix ``D_r^-½ R D_i^-½`` (sparse or dense).
        item_degree: ``[n]`` item degrees (column sums of ``R``), clamped to >= 1 by the caller.
        k: number of singular vectors (< n).
        seed: seed of the randomised SVD (default: 0); the global RNG is left as it was.

    Returns:
        ``(left, right)`` = ``(D^-½ V_k, D^½ V_k)``.
    """
    k = max(1, min(k, min(norm_adj.shape) - 1))
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        _, _, v = torch.svd_lowrank(norm_adj, q=min(k + 16, min(norm_adj.shape)), niter=4)
    finally:
        torch.random.set_rng_state(state)
    vk = v[:, :k].float()
    d = item_degree.float()
    return d.rsqrt().unsqueeze(1) * vk, d.sqrt().unsqueeze(1) * vk
