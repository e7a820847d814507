"""Choosing on the head of a large catalogue: the most-interacted items as a smaller :class:`RecGraph`.

A dense item–item selection (``ease``, ``graph``) costs one ``O(n³)`` solve per λ candidate and per wide side
channel weight: at amazon-book's 24,915 items each is minutes on two CPU cores, and the selection needs
several. Above ``TrainConfig.select_items`` items, :func:`graphrec.train.fit` lets such a model choose on its
``search_items`` most-interacted items instead (each trial ``(search/n)³`` of a full solve), then refits once
on every item.

Why the choices transfer: the users' rows do not change, so the Gram matrix of the head is exactly the head
block of the full Gram matrix, and the side channels' blocks (entity rows, text ``EEᵀ``) are exact blocks too.
λ and the channel weights act on the head items as they do in the whole catalogue. What the head cannot see
is an item with few or no interactions; on a catalogue where those carry the test pairs (lastfm-2k: 12.5%), keep
the full selection (its 17,632 items are under the default ``select_items``).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from graphrec.loaders.types import RecGraph


def head_items(train: Tensor, num_items: int, size: int) -> Tensor:
    """Indices (ascending) of the ``size`` items with the most ``train`` pairs (ties: the lower index)."""
    degree = torch.bincount(train[1].long().cpu(), minlength=num_items)
    order = torch.argsort(-degree, stable=True)
    return order[:size].sort().values


def _pairs_on(pairs: Tensor, remap: Tensor) -> Tensor:
    """``pairs`` whose item is kept, with the item renumbered; dropped pairs go."""
    p = pairs.long().cpu()
    item = remap[p[1]]
    keep = item >= 0
    return torch.stack([p[0][keep], item[keep]])


def head_view(graph: RecGraph, train: Tensor, valid: Tensor, size: int) -> tuple[RecGraph, Tensor, Tensor]:
    """``graph`` restricted to its ``size`` most-interacted items (by ``train``), with ``train`` and ``valid``.

    Every edge with an endpoint on a dropped item is dropped, items are renumbered in their old order, and
    every other node type keeps its nodes and numbering; item features (``x``) are sliced. Test pairs and
    pair weights are left out: the view is for choosing, not for scoring.

    Returns:
        ``(view, train, valid)`` in the view's item numbering.
    """
    it = graph.item_type
    keep = head_items(train, graph.num_items, size)
    remap = torch.full((graph.num_items,), -1, dtype=torch.long)
    remap[keep] = torch.arange(keep.numel())
    data = HeteroData()
    for nt in graph.data.node_types:
        store = graph.data[nt]
        n = int(store.num_nodes or 0)
        data[nt].num_nodes = keep.numel() if nt == it else n
        x = store.get("x")
        if isinstance(x, Tensor):
            data[nt].x = x[keep] if nt == it else x
    for et in graph.data.edge_types:
        src, _, dst = et
        ei = graph.data[et].edge_index.long()
        mask = torch.ones(ei.size(1), dtype=torch.bool)
        if src == it:
            mask &= remap[ei[0]] >= 0
        if dst == it:
            mask &= remap[ei[1]] >= 0
        ei = ei[:, mask]
        if src == it:
            ei = torch.stack([remap[ei[0]], ei[1]])
        if dst == it:
            ei = torch.stack([ei[0], remap[ei[1]]])
        data[et].edge_index = ei
    ids = dict(graph.ids)
    item_ids = graph.ids[it]
    ids[it] = [item_ids[k] for k in keep.tolist()]
    empty = torch.empty(2, 0, dtype=torch.long)
    view = RecGraph(data=data, ids=ids, train=_pairs_on(graph.train, remap), valid=empty, test=empty,
                    user_type=graph.user_type, item_type=it, behaviours=list(graph.behaviours),
                    head_of=graph.num_items)
    return view, _pairs_on(train, remap), _pairs_on(valid, remap)
