"""Heterogeneous neighbour sampling in plain torch, for PyG's loaders without ``pyg-lib`` or ``torch-sparse``.

PyG 2.8's :class:`~torch_geometric.sampler.NeighborSampler` builds its CSC from a ``HeteroData`` or a
``(FeatureStore, GraphStore)`` pair without them, but its sampling step calls ``pyg-lib`` (or
``torch-sparse``) and raises ``ImportError`` when neither is installed. :class:`TorchNeighborSampler`
replaces that one step with a vectorised torch version (directional, without replacement, not disjoint,
no temporal or weighted sampling), so ``NeighborLoader(…, neighbor_sampler=TorchNeighborSampler(…))`` and
``LinkNeighborLoader`` run unchanged on either kind of data. Its draws come from torch's global generator:
the same seed and the same graph give the same batch, whichever backend holds the graph.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import Tensor
from torch_geometric.sampler import HeteroSamplerOutput, NeighborSampler
from torch_geometric.sampler.base import SubgraphType

from graphrec.types import EdgeType, NodeType


def pick_in_edges(colptr: Tensor, dst: Tensor, k: int,
                  generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Up to ``k`` in-edges (all when ``k < 0``) of each node of ``dst``, drawn without replacement
    (from ``generator``, default torch's global one).

    Returns:
        ``(positions of the picked edges in the CSC row array, index into dst of each edge's target)``.
    """
    start, deg = colptr[dst], colptr[dst + 1] - colptr[dst]
    seg = torch.repeat_interleave(torch.arange(len(dst)), deg)
    first = torch.cumsum(deg, 0) - deg
    pos = torch.repeat_interleave(start - first, deg) + torch.arange(len(seg))
    if k < 0 or len(seg) == 0:
        return pos, seg
    order = torch.argsort(seg.to(torch.float64) + torch.rand(len(seg), dtype=torch.float64, generator=generator))
    rank = torch.arange(len(seg)) - first[seg]
    keep = rank < k
    return pos[order][keep], seg[keep]


class TorchNeighborSampler(NeighborSampler):  # type: ignore[misc]
    """:class:`~torch_geometric.sampler.NeighborSampler` with its heterogeneous sampling in plain torch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with warnings.catch_warnings():   # PyG warns that sampling without pyg-lib is deprecated: not here
            warnings.filterwarnings("ignore", message=".*without a 'pyg-lib' installation", category=UserWarning)
            super().__init__(*args, **kwargs)

    def _sample(self, seed: Any, seed_time: Any = None, **kwargs: Any) -> HeteroSamplerOutput:
        if not isinstance(seed, dict):
            raise NotImplementedError("TorchNeighborSampler samples heterogeneous graphs only")
        if (self.disjoint or self.replace or self.subgraph_type == SubgraphType.induced or seed_time is not None
                or self.node_time is not None or self.edge_time is not None or self.edge_weight is not None
                or self.sample_direction != "forward"):
            raise NotImplementedError("TorchNeighborSampler does forward, directional sampling without "
                                      "replacement, time or weights; install pyg-lib for the rest")
        return _Sampling(self, seed).run()


class _Sampling:
    """One call's state: per node type its sampled nodes (global ids) and where each global id sits."""

    def __init__(self, sampler: TorchNeighborSampler, seed: dict[NodeType, Tensor]) -> None:
        self.s = sampler
        types: list[NodeType] = sorted(sampler.num_nodes)
        self.nodes: dict[NodeType, list[Tensor]] = {t: [] for t in types}
        self.local = {t: torch.full((sampler.num_nodes[t],), -1, dtype=torch.long) for t in types}
        self.count = dict.fromkeys(types, 0)
        self.num_sampled_nodes: dict[NodeType, list[int]] = {t: [] for t in types}
        for t in types:   # the seeds first, in their order (the loaders rely on it)
            first = seed.get(t, torch.empty(0, dtype=torch.long)).to(torch.long)
            self.local[t][first] = torch.arange(len(first))
            self.nodes[t].append(first)
            self.num_sampled_nodes[t].append(len(first))
            self.count[t] = len(first)
        self.frontier = {t: torch.arange(self.count[t]) for t in types}

    def _add(self, t: NodeType, glob: Tensor) -> Tensor:
        """Add the not yet sampled nodes of ``glob`` (sorted, once each); return their local ids."""
        new = torch.unique(glob[self.local[t][glob] < 0])
        self.local[t][new] = torch.arange(self.count[t], self.count[t] + len(new))
        self.nodes[t].append(new)
        self.num_sampled_nodes[t].append(len(new))
        self.count[t] += len(new)
        return self.local[t][new]

    def run(self) -> HeteroSamplerOutput:
        s = self.s
        edge_types: list[EdgeType] = sorted(tuple(et) for et in s.edge_types)  # same order, any backend
        fanout = s.num_neighbors.get_mapped_values(s.edge_types)
        assert isinstance(fanout, dict)
        rows: dict[EdgeType, list[Tensor]] = {et: [] for et in edge_types}
        cols: dict[EdgeType, list[Tensor]] = {et: [] for et in edge_types}
        edges: dict[EdgeType, list[Tensor]] = {et: [] for et in edge_types}
        num_edges: dict[EdgeType, list[int]] = {et: [] for et in edge_types}
        for hop in range(s.num_neighbors.num_hops):
            picked: list[tuple[EdgeType, Tensor]] = []
            for et in edge_types:
                rel = s.to_rel_type[et]
                k = fanout[rel][hop] if hop < len(fanout[rel]) else 0
                dst_local = self.frontier[et[2]]
                if k == 0 or len(dst_local) == 0:
                    num_edges[et].append(0)
                    continue
                pos, seg = pick_in_edges(s.colptr_dict[rel], torch.cat(self.nodes[et[2]])[dst_local], k)
                picked.append((et, s.row_dict[rel][pos]))
                cols[et].append(dst_local[seg])
                edges[et].append(pos)
                num_edges[et].append(len(pos))
            self._grow(picked)
            for et, src in picked:   # local ids exist once the hop's new nodes are added
                rows[et].append(self.local[et[0]][src])
        return self._output(edge_types, rows, cols, edges, num_edges)

    def _grow(self, picked: list[tuple[EdgeType, Tensor]]) -> None:
        """Add the hop's newly reached nodes; they are the next hop's frontier."""
        for t in self.nodes:
            reached = [src for et, src in picked if et[0] == t]
            self.frontier[t] = self._add(t, torch.cat(reached) if reached else torch.empty(0, dtype=torch.long))

    def _output(self, edge_types: list[EdgeType], rows: dict[EdgeType, list[Tensor]],
                cols: dict[EdgeType, list[Tensor]], edges: dict[EdgeType, list[Tensor]],
                num_edges: dict[EdgeType, list[int]]) -> HeteroSamplerOutput:
        def cat(parts: list[Tensor]) -> Tensor:
            return torch.cat(parts) if parts else torch.empty(0, dtype=torch.long)
        return HeteroSamplerOutput(
            node={t: cat(v) for t, v in self.nodes.items()},
            row={et: cat(rows[et]) for et in edge_types}, col={et: cat(cols[et]) for et in edge_types},
            edge={et: cat(edges[et]) for et in edge_types}, batch=None,
            num_sampled_nodes=self.num_sampled_nodes, num_sampled_edges=num_edges)
