"""LightGCN on the user–item bipartite graph, built on PyG's :class:`~torch_geometric.nn.LightGCN`."""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.nn import LGConv, LightGCN

from graphrec.nn.sparse import Adjacency, normalized_pair, spmm


class _SymmetricLGConv(LGConv):  # type: ignore[misc]
    """LGConv whose sparse aggregation reuses the (symmetric) matrix as its own transpose in backward."""

    def message_and_aggregate(self, adj_t: Tensor, x: Tensor) -> Tensor:
        return spmm(Adjacency(adj_t, adj_t), x)


class LightGCNRec(torch.nn.Module):
    r"""LightGCN (He et al., SIGIR 2020) for a bipartite user–item graph.

    Users are nodes ``0 … num_users-1`` and items ``num_users …`` of one homogeneous PyG
    :class:`~torch_geometric.nn.LightGCN`; its convolutions run on a precomputed symmetric-normalised
    sparse adjacency (see :meth:`adjacency`), so no pyg-lib/torch-sparse is needed; the convolutions
    backward pass reuses that symmetric matrix instead of transposing it at every step.

    Args:
        num_users: number of users.
        num_items: number of items.
        embedding_dim: embedding size (default: ``64``).
        num_layers: number of propagation layers (default: ``3``).
    """

    def __init__(self, num_users: int, num_items: int, embedding_dim: int = 64, num_layers: int = 3) -> None:
        super().__init__()
        self.num_users = num_users
        self.num_items = num_items
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.lightgcn = LightGCN(num_users + num_items, embedding_dim, num_layers, normalize=False)
        self.lightgcn.convs = torch.nn.ModuleList([_SymmetricLGConv(normalize=False) for _ in range(num_layers)])
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initialise the embeddings (Xavier uniform, as PyG does)."""
        self.lightgcn.reset_parameters()

    @staticmethod
    def adjacency(edge_index: Tensor, num_users: int, num_items: int) -> Tensor:
        """The normalised ``[N, N]`` CSR adjacency (``N = num_users + num_items``) of both directions.

        Args:
            edge_index: ``[2, E]`` (user index, item index) training interactions.
            num_users: number of users.
            num_items: number of items.
        """
        n = num_users + num_items
        u, i = edge_index[0].long(), edge_index[1].long() + num_users
        both = torch.stack([torch.cat([u, i]), torch.cat([i, u])])
        return normalized_pair(both, n, n).fwd  # symmetric: its own transpose

    def forward(self, adj: Tensor) -> tuple[Tensor, Tensor]:
        """Propagate and return the final ``(user, item)`` embeddings.

        Args:
            adj: the output of :meth:`adjacency`.
        """
        out = self.lightgcn.get_embedding(adj)
        return out[: self.num_users], out[self.num_users :]

    def subgraph(self, users: Tensor, items: Tensor, to_user: Adjacency | None,
                 to_item: Adjacency | None) -> tuple[Tensor, Tensor]:
        """Propagate over a sampled subgraph and return the final ``(user, item)`` rows of its nodes.

        The layers of PyG's LightGCN (a weighted sum of neighbour rows, the mean over layers ``0 … L``) applied
        to the subgraph's rows only: memory follows the subgraph, not the graph. Rows are exact for the nodes
        whose ``L``-hop neighbourhood the subgraph holds (the seeds of a full-fan-out sample).

        Args:
            users: the subgraph's users (global indices).
            items: the subgraph's items (global indices).
            to_user: ``[len(users), len(items)]`` item→user weights (``None``: no such edge).
            to_item: ``[len(items), len(users)]`` user→item weights (``None``: no such edge).
        """
        w = self.lightgcn.embedding.weight
        hu, hi = w[users], w[items + self.num_users]
        tot_u, tot_i = hu, hi
        for _ in range(self.num_layers):
            hu, hi = (spmm(to_user, hi) if to_user is not None else torch.zeros_like(hu),
                      spmm(to_item, hu) if to_item is not None else torch.zeros_like(hi))
            tot_u, tot_i = tot_u + hu, tot_i + hi
        return tot_u / (self.num_layers + 1), tot_i / (self.num_layers + 1)

    def ego(self, users: Tensor, items: Tensor) -> tuple[Tensor, Tensor]:
        """Layer-0 embedding rows of ``users`` and ``items`` (for the L2 penalty)."""
        w = self.lightgcn.embedding.weight
        return w[users], w[items + self.num_users]

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.num_users}, {self.num_items}, "
            f"dim={self.embedding_dim}, layers={self.num_layers})"
        )
