"""Normalised sparse adjacency matrices for full-graph propagation without pyg-lib/torch-sparse.

Propagation is ``torch.sparse.mm`` on a CSR matrix, which on CPU is several times faster than
gather/scatter message passing over an ``edge_index`` (measured 0.6 s against 6.7 s per 3-layer
forward+backward pass on a 95k-node, 1.7M-edge bipartite graph, 2 cores).
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor


def normalized_adj(
    edge_index: Tensor,
    num_src: int,
    num_dst: int,
    src_degree: Tensor | None = None,
    dst_degree: Tensor | None = None,
) -> Tensor:
    """Symmetrically normalised ``[num_dst, num_src]`` CSR matrix of a directed edge list.

    Entry ``(d, s)`` is ``1 / sqrt(deg(s) * deg(d))`` (the normalisation of LightGCN, He et al.
    2020), so ``adj @ x_src`` aggregates source rows into destination rows. Duplicate edges are
    merged into one.

    Args:
        edge_index: ``[2, E]`` long tensor of (source index, destination index).
        num_src: number of source nodes.
        num_dst: number of destination nodes.
        src_degree: degree of each source node (default: out-degree in ``edge_index``).
        dst_degree: degree of each destination node (default: in-degree in ``edge_index``).

    Returns:
        A float32 sparse CSR tensor of shape ``[num_dst, num_src]``.
    """
    src, dst = unique_edges(edge_index, num_src, num_dst)
    if src_degree is None:
        src_degree = torch.bincount(src, minlength=num_src).to(torch.float32)
    if dst_degree is None:
        dst_degree = torch.bincount(dst, minlength=num_dst).to(torch.float32)
    norm = src_degree[src].clamp(min=1).rsqrt() * dst_degree[dst].clamp(min=1).rsqrt()
    return to_csr(dst, src, norm.to(torch.float32), (num_dst, num_src))


def unique_edges(edge_index: Tensor, num_src: int, num_dst: int) -> tuple[Tensor, Tensor]:
    """Drop duplicate ``(src, dst)`` pairs; returns them sorted by destination, then source."""
    if edge_index.numel() == 0:
        empty = torch.empty(0, dtype=torch.long, device=edge_index.device)
        return empty, empty
    key = torch.unique(edge_index[1].long() * num_src + edge_index[0].long())
    return key % num_src, torch.div(key, num_src, rounding_mode="floor")


def to_csr(row: Tensor, col: Tensor, value: Tensor, size: tuple[int, int]) -> Tensor:
    """A CSR tensor from COO triplets that are already sorted by ``(row, col)`` and unique."""
    crow = torch.zeros(size[0] + 1, dtype=torch.long, device=row.device)
    if row.numel():
        crow[1:] = torch.cumsum(torch.bincount(row, minlength=size[0]), 0)
    with warnings.catch_warnings():  # "sparse CSR support is in beta": it is what we rely on
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, value, size)


def spmm(adj: Tensor, x: Tensor) -> Tensor:
    """``adj @ x`` for a sparse ``adj``, computed in float32 (sparse kernels have no half support)."""
    out: Tensor = torch.sparse.mm(adj, x.float())
    return out
