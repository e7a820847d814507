"""Normalised sparse adjacency matrices for full-graph propagation without pyg-lib/torch-sparse.

Propagation is ``torch.sparse.mm`` on a CSR matrix, which on CPU is several times faster than
gather/scatter message passing over an ``edge_index`` (measured 0.6 s against 6.7 s per 3-layer
forward+backward pass on a 95k-node, 1.7M-edge bipartite graph, 2 cores). The backward pass
multiplies by a precomputed transposed CSR matrix instead of letting autograd transpose the
sparse matrix at every step (measured 4x faster forward+backward on the ml-100k graph).
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import torch
from torch import Tensor


class Adjacency(NamedTuple):
    """A sparse CSR matrix and its transpose, so that backward passes need no transposition.

    A *compact* adjacency keeps only the rows and columns that have an edge: ``fwd`` is then
    ``[len(rows), len(cols)]`` and ``rows``/``cols`` map them back to node indices, so that a
    relation touching few nodes costs ``O(edges)`` rather than ``O(nodes)`` per product.
    """

    fwd: Tensor
    """``[num_dst, num_src]`` CSR matrix (``[len(rows), len(cols)]`` when compact)."""
    bwd: Tensor
    """The transpose of ``fwd``."""
    rows: Tensor | None = None
    """Destination node of each row of a compact ``fwd``."""
    cols: Tensor | None = None
    """Source node of each column of a compact ``fwd``."""

    def to(self, device: torch.device | str) -> Adjacency:
        """Everything on ``device``."""
        rows = None if self.rows is None else self.rows.to(device)
        cols = None if self.cols is None else self.cols.to(device)
        return Adjacency(self.fwd.to(device), self.bwd.to(device), rows, cols)


class _SpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, fwd: Tensor, bwd: Tensor, x: Tensor) -> Tensor:
        ctx.bwd = bwd
        out: Tensor = torch.sparse.mm(fwd, x)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[None, None, Tensor]:
        return None, None, torch.sparse.mm(ctx.bwd, grad.contiguous())


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
    tiny = torch.finfo(torch.float32).tiny   # degrees may be fractional (see normalized_pair); never 0 on an edge
    norm = src_degree[src].clamp(min=tiny).rsqrt() * dst_degree[dst].clamp(min=tiny).rsqrt()
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


def normalized_pair(edge_index: Tensor, num_src: int, num_dst: int, compact: bool = False,
                    src_degree: Tensor | None = None, dst_degree: Tensor | None = None) -> Adjacency:
    """:func:`normalized_adj` and its transpose, as an :class:`Adjacency` (compact if asked).

    ``src_degree``/``dst_degree`` (default: the degrees in ``edge_index``) give each edge the weight
    ``1 / sqrt(src_degree[s] * dst_degree[d])``; a sampled subgraph passes its nodes' degrees in the whole graph
    (and ``c_d² / deg_d`` for a destination that kept ``c_d`` of its ``deg_d`` edges: the sum over the sample,
    scaled by ``deg_d / c_d``, estimates the sum over every neighbour).
    """
    src, dst = unique_edges(edge_index, num_src, num_dst)
    deg_s = torch.bincount(src, minlength=num_src).to(torch.float32) if src_degree is None else src_degree.float()
    deg_d = torch.bincount(dst, minlength=num_dst).to(torch.float32) if dst_degree is None else dst_degree.float()
    rows = cols = None
    if compact:
        rows, dst_c = torch.unique(dst, return_inverse=True)
        cols, src_c = torch.unique(src, return_inverse=True)
        deg_s, deg_d, src, dst = deg_s[cols], deg_d[rows], src_c, dst_c
        num_src, num_dst = cols.numel(), rows.numel()
    both = torch.stack([src, dst])
    return Adjacency(
        normalized_adj(both, num_src, num_dst, deg_s, deg_d),
        normalized_adj(both.flip(0), num_dst, num_src, deg_d, deg_s),
        rows,
        cols,
    )


def spmm(adj: Adjacency, x: Tensor) -> Tensor:
    """``adj.fwd @ x``, differentiable in ``x``, computed in float32 (sparse kernels have no half support)."""
    if adj.rows is not None or adj.cols is not None:
        raise ValueError("spmm takes a full-size Adjacency; compact ones go through relational_spmm")
    out: Tensor = _SpMM.apply(adj.fwd, adj.bwd, x.float())
    return out


class _RelationalSpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, adjs: list[Adjacency], src: list[int], num_dst: int, *tensors: Tensor) -> Tensor:
        n_src = len(tensors) - len(adjs)
        xs, ws = tensors[:n_src], tensors[n_src:]
        out = torch.zeros(num_dst, ws[0].numel(), device=ws[0].device, dtype=torch.float32)
        for adj, s, w in zip(adjs, src, ws, strict=True):
            y = torch.sparse.mm(adj.fwd, _take(xs[s], adj.cols)).mul_(w)
            if adj.rows is None:
                out.add_(y)
            else:
                out.index_add_(0, adj.rows, y)
        ctx.adjs, ctx.src, ctx.n_src = adjs, src, n_src
        ctx.save_for_backward(*tensors)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:
        tensors = ctx.saved_tensors
        xs, ws = tensors[: ctx.n_src], tensors[ctx.n_src :]
        grad = grad.contiguous()
        gx: list[Tensor] = [torch.zeros_like(x, dtype=torch.float32) for x in xs]
        gw: list[Tensor | None] = []
        for adj, s, w in zip(ctx.adjs, ctx.src, ws, strict=True):
            # w scales columns, so bwd @ (g * w) = (bwd @ g) * w, and dL/dw = sum(x * (bwd @ g)):
            # one sparse product per relation serves both gradients
            q = torch.sparse.mm(adj.bwd, _take(grad, adj.rows))
            gw.append((q * _take(xs[s], adj.cols)).sum(0) if w.requires_grad else None)
            q.mul_(w)
            if adj.cols is None:
                gx[s].add_(q)
            else:
                gx[s].index_add_(0, adj.cols, q)
        return (None, None, None, *gx, *gw)


def _take(x: Tensor, index: Tensor | None) -> Tensor:
    """The rows ``index`` of ``x`` (all of them for ``None``)."""
    return x if index is None else x.index_select(0, index)


def relational_spmm(
    adjs: list[Adjacency], xs: list[Tensor], src: list[int], weights: list[Tensor], num_dst: int
) -> Tensor:
    r"""``sum_r (adjs[r].fwd @ xs[src[r]]) * weights[r]`` in memory independent of the number of relations.

    The per-relation products are not kept for the backward pass, so memory is ``O(num_dst · d)`` instead of
    ``O(R · num_dst · d)``: a KG with tens of relations and millions of triples fits in a few GB. The backward
    pass costs one transposed product per relation, shared by the gradients of ``xs`` and ``weights``.

    Args:
        adjs: ``R`` matrices ``[num_dst, num_src_r]`` (or compact ones, see :class:`Adjacency`).
        xs: the distinct source feature matrices.
        src: for each relation, the index in ``xs`` of its source features.
        weights: ``R`` relation vectors ``[d]``.
        num_dst: number of destination nodes.

    Returns:
        ``[num_dst, d]`` float32 aggregate.
    """
    if not adjs:
        raise ValueError("relational_spmm needs at least one relation")
    out: Tensor = _RelationalSpMM.apply(adjs, src, num_dst, *[x.float() for x in xs], *weights)
    return out
