"""What the loaders hand to training: a heterogeneous graph, its id maps and the interaction splits."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from graphrec.types import EdgeType, IdMap, NodeType


@dataclass
class RecGraph:
    """A recommendation graph streamed out of Neo4j.

    Attributes:
        data: message-passing graph. Node types are Neo4j labels (``"User"``, ``"Item"``,
            ``"Entity"``); ``data[t].num_nodes`` is set for every type and ``data[t].x`` holds
            ``text_embedding`` rows (float32) where the nodes have one. Edge types are
            ``(src, REL_TYPE, dst)`` for the *training* behaviours, KG triples and social edges,
            each with a reverse type ``(dst, "rev_" + REL_TYPE, src)``. Held-out (valid/test)
            interactions are never in ``data``.
        ids: business id of every node by index, per node type.
        user_type: node type of users (default: ``"User"``).
        item_type: node type of items (default: ``"Item"``).
        behaviours: the user→item relationship types that count as interactions.
        train: ``[2, E]`` long tensor of (user index, item index) training positives.
        valid: ``[2, E]`` validation positives (may be empty).
        test: ``[2, E]`` test positives (may be empty).
        train_weight: ``[E]`` float32 weight of each ``train`` pair (the mapped weight property, the
            greatest over the pair's relationships; NaN where none has one), or ``None`` when no
            interaction type has a weight property. Models may use it; none does yet.
        below_min_weight: ``[2, E]`` (user, item) pairs whose relationships were below their
            behaviour's ``min_weight``: not positives and not in ``data``, but seen by the user.
        pair_ts: ``[3, P]`` long tensor of (user, item, first ``ts``) of every interaction pair (-1 where
            none has a ``ts``), when the load was asked for it (the cold-users protocol); else ``None``.
        protocol: the evaluation protocol the splits follow (:mod:`graphrec.train.protocols`): ``"warm"``
            for the loaded split, ``"cold-items"`` or ``"cold-users"`` once one is applied.
        cold_items: under ``cold-items``, the sorted indices of the items whose every interaction is a test
            pair (the cold-only ranking ranks these); else ``None``.
        head_of: set on a head view (:func:`graphrec.train.head.head_view`): the number of items of the
            catalogue it was cut from, which decides what the fit costs; ``None`` for a whole graph.
    """

    data: HeteroData
    ids: dict[NodeType, IdMap]
    train: Tensor
    valid: Tensor
    test: Tensor
    user_type: NodeType = "User"
    item_type: NodeType = "Item"
    behaviours: list[str] = field(default_factory=list)
    train_weight: Tensor | None = None
    below_min_weight: Tensor = field(default_factory=lambda: torch.empty(2, 0, dtype=torch.long))
    head_of: int | None = None
    pair_ts: Tensor | None = None
    protocol: str = "warm"
    cold_items: Tensor | None = None

    @property
    def seen(self) -> Tensor:
        """``[2, E]`` every (user, item) pair the user has in the graph: train, valid, test and
        below-``min_weight`` pairs (what published recommendations exclude)."""
        return torch.cat([self.train, self.valid, self.test, self.below_min_weight.to(self.train.dtype)], dim=1)

    @property
    def num_users(self) -> int:
        return len(self.ids[self.user_type])

    @property
    def num_items(self) -> int:
        return len(self.ids[self.item_type])

    @property
    def kg_edge_types(self) -> list[EdgeType]:
        """Edge types that are not user–item behaviours (KG, social, and their reverses)."""
        beh = set(self.behaviours) | {"rev_" + b for b in self.behaviours}
        return [et for et in self.data.edge_types if et[1] not in beh]
