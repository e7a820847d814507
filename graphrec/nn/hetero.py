"""A heterogeneous, knowledge-graph- and text-aware recommender GNN."""

from __future__ import annotations

from collections.abc import Collection

import torch
import torch.nn.functional as F
from torch import Tensor

from graphrec.nn.sparse import Adjacency, normalized_pair, relational_spmm, spmm

EdgeKey = tuple[str, str, str]


def _key(edge_type: EdgeKey) -> str:
    return "__".join(edge_type)


def _needed(order: list[str], types: list[str], cf_edge_types: list[EdgeKey], num_layers: int) -> list[list[str]]:
    """The node types (in ``order``) each layer ``1 … L`` must compute so that ``types`` get all their layers:
    ``types`` at layer ``L``, and at each layer below ``types`` and the sources of the interaction edges into what
    the layer above computes (the side channels read layer 0 only, which every type has)."""
    need = [types] if num_layers > 0 else []
    for _ in range(num_layers - 1):
        keep = set(types) | {et[0] for et in cf_edge_types if et[2] in need[0]}
        need.insert(0, [t for t in order if t in keep])
    return need


class HeteroRec(torch.nn.Module):
    r"""LightGCN-style propagation over users, items and KG entities, with relation-aware side channels.

    Every node type ``t`` starts from an ID embedding, plus a linear projection of its text
    embedding where one is given (items, entities):

    .. math::
        h_t^{(0)} = E_t + W_t x_t

    The collaborative channel (user→item and item→user training interactions) is LightGCN's
    linear, symmetric-normalised aggregation (He et al., SIGIR 2020) at every layer. Every other edge
    type ``r`` (KG relations, their reverses, social and user-attribute edges) is a *side channel*
    whose aggregate is modulated element-wise by a learnt relation vector ``w_r``, the
    relational-path message ``e_r ⊙ e_t`` of KGIN (Wang et al., WWW 2021). The side channels act at
    the first layer only, on the layer-0 rows of their sources, as KGCN's one-hop receptive field
    (Wang et al., WWW 2019); the layers above carry what they brought to users and items over the
    interactions:

    .. math::
        h_d^{(1)} = \sum_{r \in \mathrm{CF}} \hat A_r h_{s(r)}^{(0)}
                  + \sum_{r \in \mathrm{side}} w_r \odot \hat A_r h_{s(r)}^{(0)}, \qquad
        h_d^{(l+1)} = \sum_{r \in \mathrm{CF}} \hat A_r h_{s(r)}^{(l)} \quad (l \ge 1)

    Propagating the KG at every layer (KGAT's collaborative knowledge graph, Wang et al., KDD 2019) cost
    6.7× LightGCN per step on the amazon-book-shaped graph, whose side channels hold 2.9× the
    interactions' entries; with one side layer a training step computes no KG entity row at all. Drawing a
    fixed-size share of each node's side neighbourhood every epoch (KGCN's sampled receptive field) is the
    adjacency's business: see :meth:`graphrec.train.models.HeteroModel.start_epoch`.

    A side channel into a type that no interaction reaches (item→entity, entity→entity) is dropped from
    :attr:`edge_types`: nothing it would compute reaches a user or an item row, so its relation vector could
    never learn. The final embedding of every node is the mean over layers ``0 … L`` (LightGCN), so scores
    are plain dot products of user and item rows; a KG entity's is its layer-0 row over ``L + 1``. With
    ``w_r = 0`` and no text the model is exactly LightGCN; relation vectors start at ``side_init``.

    Args:
        num_nodes: number of nodes per node type.
        edge_types: every ``(src, rel, dst)`` type that :meth:`forward` may receive an adjacency for (those it
            uses: :attr:`edge_types`).
        cf_edge_types: the subset of ``edge_types`` that are user–item interactions
            (both directions).
        in_channels: text-feature size per node type that has features (default: none).
        embedding_dim: embedding size (default: ``64``).
        num_layers: number of propagation layers (default: ``3``).
        side_init: initial value of every relation vector entry (default: ``0.1``; 0.5 let lastfm-2k's
            130 KG/tag relations drown the interactions).
        dropout: message dropout on the side channels and the projected text while training
            (KGAT's ``mess_dropout``) (default: ``0.5``).
    """

    def __init__(
        self,
        num_nodes: dict[str, int],
        edge_types: list[EdgeKey],
        cf_edge_types: list[EdgeKey],
        in_channels: dict[str, int] | None = None,
        embedding_dim: int = 64,
        num_layers: int = 3,
        side_init: float = 0.1,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        unknown = [et for et in cf_edge_types if et not in edge_types]
        if unknown:
            raise ValueError(f"cf_edge_types not in edge_types: {unknown}")
        self.num_nodes = dict(num_nodes)
        reached = {et[2] for et in cf_edge_types}
        # a side channel into a type no interaction reaches (item→entity, entity→entity) could only feed that
        # type's own first layer, which no user or item row reads: it is not kept
        self.edge_types = [et for et in edge_types if et in cf_edge_types or et[2] in reached]
        self.cf_edge_types = list(cf_edge_types)
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.side_init = side_init
        self.dropout = dropout
        self.emb = torch.nn.ParameterDict(
            {t: torch.nn.Parameter(torch.empty(n, embedding_dim)) for t, n in self.num_nodes.items()}
        )
        self.proj = torch.nn.ModuleDict(
            {t: torch.nn.Linear(c, embedding_dim, bias=False) for t, c in (in_channels or {}).items()}
        )
        self.rel = torch.nn.ParameterDict(
            {
                _key(et): torch.nn.Parameter(torch.empty(embedding_dim))
                for et in self.edge_types
                if et not in self.cf_edge_types
            }
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform ID embeddings and projections, relation vectors set to ``side_init``."""
        for p in self.emb.values():
            torch.nn.init.xavier_uniform_(p)
        for lin in self.proj.values():
            assert isinstance(lin, torch.nn.Linear)
            torch.nn.init.xavier_uniform_(lin.weight)
        for r in self.rel.values():
            torch.nn.init.constant_(r, self.side_init)

    @staticmethod
    def adjacency(
        edge_index_dict: dict[EdgeKey, Tensor],
        num_nodes: dict[str, int],
        cf_edge_types: list[EdgeKey] | tuple[EdgeKey, ...] = (),
    ) -> dict[EdgeKey, Adjacency]:
        """Symmetric-normalised ``[num_dst, num_src]`` CSR matrices, one per edge type.

        Side-channel matrices (every type not in ``cf_edge_types``) are compact
        (see :class:`~graphrec.nn.sparse.Adjacency`), so that many small KG relations stay cheap.

        Args:
            edge_index_dict: ``[2, E]`` (source, destination) indices per edge type.
            num_nodes: number of nodes per node type.
            cf_edge_types: the interaction edge types (kept full-size) (default: none).
        """
        return {
            et: normalized_pair(ei, num_nodes[et[0]], num_nodes[et[2]], compact=et not in cf_edge_types)
            for et, ei in edge_index_dict.items()
        }

    def ego(self, x_dict: dict[str, Tensor] | None = None, n_id: dict[str, Tensor] | None = None) -> dict[str, Tensor]:
        """Layer-0 representation of every node type (ID embedding + projected text).

        Args:
            x_dict: text features per node type (the rows of ``n_id`` when it is given).
            n_id: only these nodes per node type (a sampled subgraph's; a type missing: none of its nodes).
        """
        out: dict[str, Tensor] = {}
        for t, e in self.emb.items():
            h: Tensor = e
            if n_id is not None:
                h = e[n_id[t]] if t in n_id else e[:0]
            if x_dict is not None and t in x_dict and t in self.proj:
                text = self.proj[t](x_dict[t]).float()
                h = h + F.dropout(text, self.dropout, self.training)
            out[t] = h
        return out

    def forward(self, adj: dict[EdgeKey, Adjacency], x_dict: dict[str, Tensor] | None = None,
                types: Collection[str] | None = None) -> dict[str, Tensor]:
        """Propagate and return the final embedding of every node type (of ``types`` only, when given).

        Args:
            adj: the output of :meth:`adjacency` with the same ``cf_edge_types`` (edge types missing
                from it are skipped).
            x_dict: text features per node type (``[num_nodes, in_channels]``), optional.
            types: the node types whose output is needed (default: all); see :meth:`propagate`.
        """
        return self.propagate(self.ego(x_dict), adj, types)

    def propagate(self, h: dict[str, Tensor], adj: dict[EdgeKey, Adjacency],
                  types: Collection[str] | None = None) -> dict[str, Tensor]:
        """The layers from layer-0 rows ``h`` (:meth:`ego`) over ``adj``: the mean over layers ``0 … L``.

        ``h`` and ``adj`` may be a sampled subgraph's (rows and matrices of its nodes only): memory follows them.
        With ``types`` only those node types are returned, and a layer computes only the rows they depend on
        (a training step that scores users and items computes no KG entity row); the rows returned are the same.
        """
        present = [et for et in self.edge_types if et in adj]
        h0 = h
        out = [t for t in h0 if types is None or t in types]
        total = {t: h0[t] for t in out}
        need = _needed(list(h0), out, [et for et in present if et in self.cf_edge_types], self.num_layers)
        for depth, layer in enumerate(need):
            h = {dst: self._layer(dst, h, h0[dst], adj, present, side=depth == 0) for dst in layer}
            total = {t: total[t] + h[t] for t in total}
        return {t: v / (self.num_layers + 1) for t, v in total.items()}

    def _layer(self, dst: str, h: dict[str, Tensor], like: Tensor, adj: dict[EdgeKey, Adjacency],
               present: list[EdgeKey], side: bool) -> Tensor:
        """One layer's rows of node type ``dst`` (shaped ``like``: its layer-0 rows) from the previous layer's ``h``,
        with the side channels' messages when ``side`` (the first layer, whose ``h`` is layer 0)."""
        parts = [spmm(adj[et], h[et[0]]) for et in present if et[2] == dst and et in self.cf_edge_types]
        rels = [et for et in present if et[2] == dst and et not in self.cf_edge_types] if side else []
        if rels:
            srcs = list(dict.fromkeys(et[0] for et in rels))
            m = relational_spmm(
                [adj[et] for et in rels],
                [h[s] for s in srcs],
                [srcs.index(et[0]) for et in rels],
                [self.rel[_key(et)] for et in rels],
                like.size(0),
            )
            parts.append(F.dropout(m, self.dropout, self.training))
        if not parts:
            return torch.zeros_like(like)
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out

    def __repr__(self) -> str:
        sizes = ", ".join(f"{t}={n}" for t, n in self.num_nodes.items())
        return (
            f"{self.__class__.__name__}({sizes}, edge_types={len(self.edge_types)}, "
            f"text={sorted(self.proj.keys())}, dim={self.embedding_dim}, layers={self.num_layers}, "
            f"dropout={self.dropout})"
        )
