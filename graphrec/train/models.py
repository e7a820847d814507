"""Bind a model of :mod:`graphrec.nn` to a :class:`RecGraph`: the only place graphs become model inputs."""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from graphrec.loaders.sampler import pick_in_edges
from graphrec.loaders.types import RecGraph
from graphrec.nn import HeteroRec, LightGCNRec, Popularity
from graphrec.nn.sparse import Adjacency, normalized_pair, unique_edges
from graphrec.train.config import TrainConfig
from graphrec.types import EdgeType

CF_REL = "graphrec_interacts"
"""Relationship name of the merged training-interaction channel (single underscores: PyG warns on `__`)."""


class BoundModel(ABC):
    """A model with its graph inputs, on one device; :meth:`embed` gives the score factors.

    A model that trains by mini-batches (:mod:`graphrec.train.minibatch`) also says which edges it propagates
    over (:attr:`edges`, :attr:`num_nodes`, :attr:`cf_types`, :meth:`features`) and embeds a sampled subgraph
    (:meth:`embed_batch`, :meth:`ego_batch`).
    """

    module: torch.nn.Module
    trainable: bool = True
    user_type: str = "User"
    item_type: str = "Item"
    edges: dict[EdgeType, Tensor]
    """The message-passing edges, ``[2, E]`` (source, destination) per edge type (CPU)."""
    num_nodes: dict[str, int]
    """Nodes per node type."""
    cf_types: list[EdgeType]
    """The interaction edge types (user→item first), normalised at full size; the others are side channels."""

    @abstractmethod
    def __init__(self, graph: RecGraph, train: Tensor, cfg: TrainConfig, device: torch.device) -> None:
        """Build the module for ``graph`` with ``train`` as its interaction graph, on ``device``."""

    @abstractmethod
    def embed(self) -> tuple[Tensor, Tensor]:
        """Final ``(user, item)`` embeddings; ``score = user @ item.T``."""

    def ego(self, users: Tensor, items: Tensor) -> list[Tensor]:
        """Layer-0 rows of a batch, for the L2 penalty (none by default)."""
        return []

    def start_epoch(self) -> None:
        """Prepare a full-graph training epoch (e.g. draw sampled neighbourhoods); nothing by default."""
        return None

    def extra(self) -> dict[str, Tensor]:
        """Embeddings of other node types (e.g. ``"Entity"``), when the model learns them."""
        return {}

    def features(self) -> dict[str, Tensor]:
        """Node features the model reads, per node type (mini-batches carry their rows as ``x``)."""
        return {}

    def embed_batch(self, batch: HeteroData, adj: dict[EdgeType, Adjacency]) -> dict[str, Tensor]:
        """Final embeddings of a sampled subgraph's nodes per node type (rows in ``batch[t].n_id`` order), with
        ``adj`` its normalised matrices (:func:`graphrec.train.minibatch.batch_adjacency`)."""
        raise NotImplementedError(f"{type(self).__name__} does not train by mini-batches")

    def ego_batch(self, batch: HeteroData, users: Tensor, items: Tensor) -> list[Tensor]:
        """:meth:`ego` of a batch's ``users`` and ``items`` (local indices in ``batch``)."""
        return self.ego(batch[self.user_type].n_id[users], batch[self.item_type].n_id[items])


def cf_edges(graph: RecGraph, train: Tensor) -> dict[EdgeType, Tensor]:
    """The merged training-interaction channel, both directions (user→item first)."""
    ut, it = graph.user_type, graph.item_type
    return {(ut, CF_REL, it): train, (it, "rev_" + CF_REL, ut): train.flip(0)}


def cap_side_edges(edges: dict[EdgeType, Tensor], side: list[EdgeType], num_nodes: dict[str, int], k: int | None,
                   gen: torch.Generator) -> dict[EdgeType, Tensor]:
    """``edges`` with each node's side in-edges (over every ``side`` type ending at its type together) cut to at most
    ``k`` drawn uniformly without replacement from ``gen``: KGCN's fixed-size sampled neighbourhood (Wang et al.,
    WWW 2019), so a side layer costs at most ``k`` messages per node. ``None``: every edge."""
    if k is None:
        return dict(edges)
    out = dict(edges)
    for dst_type in dict.fromkeys(et[2] for et in side):
        types = [et for et in side if et[2] == dst_type]
        ei = torch.cat([edges[et].long() for et in types], 1)
        rel = torch.repeat_interleave(torch.arange(len(types)), torch.tensor([edges[et].size(1) for et in types]))
        order = torch.argsort(ei[1], stable=True)
        colptr = torch.zeros(num_nodes[dst_type] + 1, dtype=torch.long)
        colptr[1:] = torch.cumsum(torch.bincount(ei[1], minlength=num_nodes[dst_type]), 0)
        pos, _ = pick_in_edges(colptr, torch.arange(num_nodes[dst_type]), k, gen)
        kept = order[pos].sort().values
        for j, et in enumerate(types):
            out[et] = ei[:, kept[rel[kept] == j]]
    return out


def unique(ei: Tensor, num_nodes: dict[str, int], et: EdgeType) -> Tensor:
    """The distinct ``(source, destination)`` pairs of ``ei`` (an edge type ``et``), as ``[2, E]``."""
    return torch.stack(unique_edges(ei, num_nodes[et[0]], num_nodes[et[2]]))


def _side_in_degree(edges: dict[EdgeType, Tensor], side: list[EdgeType], dst_type: str, n: int) -> Tensor:
    """Per node of ``dst_type``: its in-edges over every ``side`` type together."""
    return sum((torch.bincount(edges[et][1], minlength=n) for et in side if et[2] == dst_type), torch.zeros(n))


class PopularityModel(BoundModel):
    trainable = False

    def __init__(self, graph: RecGraph, train: Tensor, cfg: TrainConfig, device: torch.device) -> None:
        self.module = Popularity(graph.num_users, graph.num_items).fit(train[1]).to(device)

    def embed(self) -> tuple[Tensor, Tensor]:
        return self.module()  # type: ignore[no-any-return]


class LightGCNModel(BoundModel):
    def __init__(self, graph: RecGraph, train: Tensor, cfg: TrainConfig, device: torch.device) -> None:
        self.module = LightGCNRec(graph.num_users, graph.num_items, cfg.dim, cfg.layers).to(device)
        self.adj = LightGCNRec.adjacency(train, graph.num_users, graph.num_items).to(device)
        self.user_type, self.item_type = graph.user_type, graph.item_type
        self.edges = cf_edges(graph, train)
        self.cf_types = list(self.edges)
        self.num_nodes = {self.user_type: graph.num_users, self.item_type: graph.num_items}

    def embed(self) -> tuple[Tensor, Tensor]:
        return self.module(self.adj)  # type: ignore[no-any-return]

    def ego(self, users: Tensor, items: Tensor) -> list[Tensor]:
        assert isinstance(self.module, LightGCNRec)
        u, i = self.module.ego(users, items)
        return [u, i]

    def embed_batch(self, batch: HeteroData, adj: dict[EdgeType, Adjacency]) -> dict[str, Tensor]:
        assert isinstance(self.module, LightGCNRec)
        ut, it = self.user_type, self.item_type
        to_item, to_user = (adj.get(et) for et in self.cf_types)
        u, i = self.module.subgraph(batch[ut].n_id, batch[it].n_id, to_user, to_item)
        return {ut: u, it: i}


class HeteroModel(BoundModel):
    """``hetero`` over the training interactions (one merged channel) plus every KG/social edge type."""

    def __init__(self, graph: RecGraph, train: Tensor, cfg: TrainConfig, device: torch.device) -> None:
        data = graph.data
        ut, it = graph.user_type, graph.item_type
        self.user_type, self.item_type = ut, it
        num_nodes = {t: int(data[t].num_nodes or 0) for t in data.node_types}
        num_nodes[ut], num_nodes[it] = graph.num_users, graph.num_items
        edges = cf_edges(graph, train)
        cf = list(edges)
        for et in graph.kg_edge_types:
            ei = data[et].edge_index
            if ei.numel():
                edges[(et[0], et[1], et[2])] = ei
        x: dict[str, Tensor] = {}
        if cfg.text:
            for t in data.node_types:
                feat = data[t].get("x")
                if isinstance(feat, Tensor) and feat.dim() == 2 and feat.size(0) == num_nodes[t]:
                    x[t] = feat.to(device=device, dtype=torch.float32)
        self.x = x
        self.module = HeteroRec(
            num_nodes,
            list(edges),
            cf,
            {t: v.size(1) for t, v in x.items()},
            cfg.dim,
            cfg.layers,
            cfg.side_init,
            cfg.dropout,
        ).to(device)
        edges = {et: unique(edges[et], num_nodes, et) for et in self.module.edge_types}  # what the model uses
        self.adj = {et: a.to(device) for et, a in HeteroRec.adjacency(edges, num_nodes, cf).items()}
        self.train_adj = self.adj
        self.side_sample, self.device, self._gen = cfg.side_sample, device, torch.Generator().manual_seed(cfg.seed)
        side = [et for et in edges if et not in cf]
        # what each epoch's draw weighs by, fixed by the graph: the full degrees per relation, D per node
        self._degrees = {et: (torch.bincount(edges[et][0], minlength=num_nodes[et[0]]).float(),
                              torch.bincount(edges[et][1], minlength=num_nodes[et[2]]).float()) for et in side}
        self._side_total = {t: _side_in_degree(edges, side, t, num_nodes[t]) for t in {et[2] for et in side}}
        self._out: dict[str, Tensor] = {}
        self.edges, self.num_nodes, self.cf_types = edges, num_nodes, cf

    def start_epoch(self) -> None:
        """Draw this epoch's side neighbourhoods: at most ``side_sample`` per node over every side relation together
        (:func:`cap_side_edges`), each kept edge weighted by ``D / C`` (``C`` of the node's ``D`` side edges kept),
        so a training step costs at most ``side_sample`` side messages per node and its aggregate is an unbiased
        estimate of the full one, which evaluation uses; over the epochs every neighbour is seen."""
        side = [et for et in self.edges if et not in self.cf_types]
        if self.side_sample is None or not side:
            return
        kept = cap_side_edges(self.edges, side, self.num_nodes, self.side_sample, self._gen)
        scale = {t: torch.where(d > 0, _side_in_degree(kept, side, t, d.numel()) / d.clamp(min=1), 1.0)
                 for t, d in self._side_total.items()}   # C / D per node (1 where it has no side edge)
        train_adj = dict(self.adj)
        for et in side:
            deg_s, deg_d = self._degrees[et]
            if kept[et].numel():
                train_adj[et] = normalized_pair(kept[et], deg_s.numel(), deg_d.numel(), True, deg_s,
                                                deg_d * scale[et[2]] ** 2).to(self.device)
            else:
                train_adj.pop(et)
        self.train_adj = train_adj

    def embed(self) -> tuple[Tensor, Tensor]:
        # training scores users and items only: skip the rows only other types' last layers need
        # (:meth:`extra` is read after an evaluation-mode embed, which computes every type)
        training = self.module.training
        types = (self.user_type, self.item_type) if training else None
        self._out = self.module(self.train_adj if training else self.adj, self.x, types)
        return self._out[self.user_type], self._out[self.item_type]

    def ego(self, users: Tensor, items: Tensor) -> list[Tensor]:
        assert isinstance(self.module, HeteroRec)
        emb = self.module.emb
        rows = [emb[self.user_type][users], emb[self.item_type][items]]
        proj = self.module.proj
        if self.item_type in self.x and self.item_type in proj:
            rows.append(proj[self.item_type](self.x[self.item_type][items]))
        return rows

    def extra(self) -> dict[str, Tensor]:
        return {t: v for t, v in self._out.items() if t not in (self.user_type, self.item_type)}

    def features(self) -> dict[str, Tensor]:
        return {t: x.cpu() for t, x in self.x.items()}

    def _batch_x(self, batch: HeteroData) -> dict[str, Tensor]:
        assert isinstance(self.module, HeteroRec)
        return {t: batch[t].x.float() for t in self.module.proj if t in batch.node_types and "x" in batch[t]}

    def embed_batch(self, batch: HeteroData, adj: dict[EdgeType, Adjacency]) -> dict[str, Tensor]:
        assert isinstance(self.module, HeteroRec)
        n_id = {t: batch[t].n_id for t in batch.node_types if "n_id" in batch[t]}
        h = self.module.ego(self._batch_x(batch), n_id)
        return self.module.propagate(h, {et: a for et, a in adj.items() if et in self.module.edge_types})

    def ego_batch(self, batch: HeteroData, users: Tensor, items: Tensor) -> list[Tensor]:
        assert isinstance(self.module, HeteroRec)
        ut, it = self.user_type, self.item_type
        emb, proj = self.module.emb, self.module.proj
        rows = [emb[ut][batch[ut].n_id[users]], emb[it][batch[it].n_id[items]]]
        x = self._batch_x(batch)
        if it in x:
            rows.append(proj[it](x[it][items]))
        return rows


def bind(graph: RecGraph, train: Tensor, cfg: TrainConfig, device: torch.device) -> BoundModel:
    """Build ``cfg.model`` for ``graph`` with ``train`` as its interaction graph, on ``device``: the model class's
    :attr:`~graphrec.train.base.Recommender.bound`.

    Raises:
        ValueError: an unknown model, or one the BPR loop does not train.
    """
    from graphrec.train.registry import model_class  # the registry's models import this module

    bound = model_class(cfg.model).bound
    if bound is None:
        raise ValueError(f"model {cfg.model!r} is not trained by the BPR loop")
    return bound(graph, train, cfg, device)
