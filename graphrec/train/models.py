"""Bind a model of :mod:`graphrec.nn` to a :class:`RecGraph`: the only place graphs become model inputs."""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor

from graphrec.loaders.types import RecGraph
from graphrec.nn import HeteroRec, LightGCNRec, Popularity
from graphrec.train.config import TrainConfig

CF_REL = "__interacts__"
"""Relationship name of the merged training-interaction channel of ``hetero``."""


class BoundModel(ABC):
    """A model with its graph inputs, on one device; :meth:`embed` gives the score factors."""

    module: torch.nn.Module
    trainable: bool = True

    @abstractmethod
    def __init__(self, graph: RecGraph, train: Tensor, cfg: TrainConfig, device: torch.device) -> None:
        """Build the module for ``graph`` with ``train`` as its interaction graph, on ``device``."""

    @abstractmethod
    def embed(self) -> tuple[Tensor, Tensor]:
        """Final ``(user, item)`` embeddings; ``score = user @ item.T``."""

    def ego(self, users: Tensor, items: Tensor) -> list[Tensor]:
        """Layer-0 rows of a batch, for the L2 penalty (none by default)."""
        return []

    def extra(self) -> dict[str, Tensor]:
        """Embeddings of other node types (e.g. ``"Entity"``), when the model learns them."""
        return {}


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

    def embed(self) -> tuple[Tensor, Tensor]:
        return self.module(self.adj)  # type: ignore[no-any-return]

    def ego(self, users: Tensor, items: Tensor) -> list[Tensor]:
        assert isinstance(self.module, LightGCNRec)
        u, i = self.module.ego(users, items)
        return [u, i]


class HeteroModel(BoundModel):
    """``hetero`` over the training interactions (one merged channel) plus every KG/social edge type."""

    def __init__(self, graph: RecGraph, train: Tensor, cfg: TrainConfig, device: torch.device) -> None:
        data = graph.data
        ut, it = graph.user_type, graph.item_type
        self.user_type, self.item_type = ut, it
        num_nodes = {t: int(data[t].num_nodes or 0) for t in data.node_types}
        num_nodes[ut], num_nodes[it] = graph.num_users, graph.num_items
        cf = [(ut, CF_REL, it), (it, "rev_" + CF_REL, ut)]
        edges: dict[tuple[str, str, str], Tensor] = {cf[0]: train, cf[1]: train.flip(0)}
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
        self.adj = {et: a.to(device) for et, a in HeteroRec.adjacency(edges, num_nodes, cf).items()}
        self._out: dict[str, Tensor] = {}

    def embed(self) -> tuple[Tensor, Tensor]:
        self._out = self.module(self.adj, self.x)
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
