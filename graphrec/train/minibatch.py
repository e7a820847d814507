"""Mini-batch BPR for ``lightgcn`` and ``hetero``: PyG ``LinkNeighborLoader`` batches of training pairs, each step
propagating over the batch's sampled subgraph only.

A batch holds ``batch_size`` (user, positive item) seed pairs, ``negatives`` uniform negative items per pair
(PyG's ``"triplet"`` negative sampling) and the ``layers``-hop neighbourhood of those seeds, ``fanout``
neighbours per node, edge type and hop (:class:`~graphrec.loaders.sampler.TorchNeighborSampler`, so no pyg-lib is
needed). The model's layers run on the subgraph's rows (:meth:`~graphrec.train.models.BoundModel.embed_batch`)
and the seeds' rows are scored: the pattern of PyG's link-prediction examples
(``examples/hetero/bipartite_sage.py``, ``examples/link_pred.py``: ``LinkNeighborLoader`` + a GNN on the sampled
subgraph + the seed pairs' scores), with LightGCN's layers (``examples/lightgcn.py``) as the GNN and the BPR loss.

Edges are normalised by the degrees in the whole training graph, and a destination that kept ``c`` of its
``deg`` edges weights them by ``deg / c`` (see :func:`graphrec.nn.sparse.normalized_pair`): with an unbounded
fan-out the seeds' rows are exactly the full-graph embeddings; with a bounded one they are its sampled estimate.
Per-step memory follows the batch (``batch_size · (1 + negatives) · fanout^layers`` nodes at most), not the
graph; only the embedding tables and the optimiser state grow with it. Negatives that hit a training positive of
their user are left out of the loss (the full-graph loop redraws them).

Validation and the final embeddings propagate over the whole graph without gradients (PyG's layer-wise
``inference`` of its mini-batch examples does the same work).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import FeatureStore, GraphStore, HeteroData
from torch_geometric.loader import LinkNeighborLoader
from torch_geometric.sampler import NegativeSampling

from graphrec.loaders.sampler import TorchNeighborSampler
from graphrec.nn import bpr_loss, l2_penalty
from graphrec.nn.sparse import Adjacency, normalized_pair, unique_edges
from graphrec.train import distributed
from graphrec.train.config import TrainConfig
from graphrec.train.distributed import Step
from graphrec.train.models import BoundModel
from graphrec.train.sampling import NegativeSampler
from graphrec.types import EdgeType, NodeType

MINIBATCH_PAIRS = 20_000_000
"""Training pairs above which ``lightgcn``/``hetero`` train by mini-batches unless ``minibatch`` says otherwise:
a full-graph step then holds ``(layers + 2) · (users + items) · dim`` activations and their gradients."""

Stores = tuple[FeatureStore, GraphStore]
StoresFactory = Callable[[dict[EdgeType, Tensor], dict[NodeType, int]], Stores]
"""``stores(edges, num_nodes)`` → a PyG remote backend holding those edges (e.g.
:meth:`graphrec.loaders.remote.RemoteBackend.stores_for`)."""
Degrees = dict[EdgeType, tuple[Tensor, Tensor]]


def use_minibatch(cfg: TrainConfig, pairs: int) -> bool:
    """Whether a fit on ``pairs`` training pairs trains by mini-batches (``cfg.minibatch``, else the bound)."""
    return cfg.minibatch if cfg.minibatch is not None else pairs > MINIBATCH_PAIRS


def memory_source(bound: BoundModel) -> HeteroData:
    """The model's message-passing graph (and the node features it reads) as an in-memory ``HeteroData``."""
    data = HeteroData()
    for t, n in bound.num_nodes.items():
        data[t].num_nodes = n
    for et, ei in bound.edges.items():
        data[et].edge_index = ei.long().cpu()
    for t, x in bound.features().items():
        data[t].x = x
    return data


def edge_degrees(edges: dict[EdgeType, Tensor], num_nodes: dict[NodeType, int]) -> Degrees:
    """``(source out-degree, destination in-degree)`` per edge type, over distinct edges."""
    out: Degrees = {}
    for et, ei in edges.items():
        ns, nd = num_nodes[et[0]], num_nodes[et[2]]
        src, dst = unique_edges(ei.long().cpu(), ns, nd)
        out[et] = (torch.bincount(src, minlength=ns), torch.bincount(dst, minlength=nd))
    return out


class LinkBatches:
    """The loader of one training run: seed pairs ``train`` over the model's graph (``stores`` or in memory).

    Args:
        bound: the model (its :attr:`~graphrec.train.models.BoundModel.edges` are the graph).
        train: ``[2, E]`` seed (user, item) pairs.
        cfg: ``batch_size``, ``negatives``, ``fanout`` and ``layers``.
        stores: build the graph as PyG remote stores instead of a ``HeteroData`` (default: in memory).
    """

    def __init__(self, bound: BoundModel, train: Tensor, cfg: TrainConfig, stores: StoresFactory | None = None) -> None:
        self.cf = bound.cf_types[0]
        self.degrees = edge_degrees(bound.edges, bound.num_nodes)
        source: HeteroData | Stores = (stores(bound.edges, bound.num_nodes) if stores is not None
                                       else memory_source(bound))
        fan = [cfg.fanout] * max(cfg.layers, 1)
        sampler = TorchNeighborSampler(source, num_neighbors=fan)
        self.seeds = distributed.seed_sampler(train.size(1), cfg.seed)   # a process group: this rank's share
        self.epoch = 0
        self.loader = LinkNeighborLoader(source, num_neighbors=fan, edge_label_index=(self.cf, train.long().cpu()),
                                         batch_size=distributed.local_batch(cfg.batch_size),
                                         shuffle=self.seeds is None, sampler=self.seeds, neighbor_sampler=sampler,
                                         neg_sampling=NegativeSampling("triplet", amount=cfg.negatives))

    def __iter__(self) -> Any:
        if self.seeds is not None:
            self.seeds.set_epoch(self.epoch)
        self.epoch += 1
        return iter(self.loader)


def batch_adjacency(batch: HeteroData, degrees: Degrees, cf_types: Iterable[EdgeType]) -> dict[EdgeType, Adjacency]:
    """The normalised matrices of a batch's sampled edges (local indices), per edge type that has some.

    Weights use the whole graph's degrees; a destination that kept ``c`` of its ``deg`` edges scales them by
    ``deg / c`` (passed as the effective degree ``c² / deg``, see :func:`graphrec.nn.sparse.normalized_pair`).
    """
    cf = set(cf_types)
    out: dict[EdgeType, Adjacency] = {}
    for et in batch.edge_types:
        ei = batch[et].edge_index
        if not ei.numel() or et not in degrees:
            continue
        src_ids, dst_ids = batch[et[0]].n_id, batch[et[2]].n_id
        src, dst = unique_edges(ei, src_ids.numel(), dst_ids.numel())
        kept = torch.bincount(dst, minlength=dst_ids.numel()).float()
        deg_s, deg_d = degrees[et]
        effective = kept.square() / deg_d[dst_ids].float().clamp(min=1)
        out[et] = normalized_pair(torch.stack([src, dst]), src_ids.numel(), dst_ids.numel(), compact=et not in cf,
                                  src_degree=deg_s[src_ids], dst_degree=effective)
    return out


def batch_loss(bound: BoundModel, batch: HeteroData, batches: LinkBatches, positives: NegativeSampler,
               cfg: TrainConfig, device: torch.device) -> Tensor:
    """BPR (+ L2 on the layer-0 rows) of a batch's seed pairs, scored from the subgraph's propagated rows."""
    ut, it = bound.user_type, bound.item_type
    adj = {et: a.to(device) for et, a in batch_adjacency(batch, batches.degrees, bound.cf_types).items()}
    batch = batch.to(device)
    out = bound.embed_batch(batch, adj)
    users, pos = batch[ut].src_index, batch[it].dst_pos_index
    neg = batch[it].dst_neg_index.view(users.numel(), -1)
    u = out[ut][users]
    pos_s = (u * out[it][pos]).sum(-1).float()
    neg_s = (u.unsqueeze(1) * out[it][neg]).sum(-1).float()
    glob_u, glob_n = batch[ut].n_id[users].cpu(), batch[it].n_id[neg].cpu()
    keep = ~positives.is_positive(glob_u.unsqueeze(1).expand_as(glob_n), glob_n)
    loss = bpr_loss(pos_s, neg_s, keep.to(device))
    ego = bound.ego_batch(batch, users, torch.cat([pos, neg.flatten()]))
    if ego and cfg.weight_decay:
        loss = loss + cfg.weight_decay * l2_penalty(*ego)
    return loss


def minibatch_epoch(bound: BoundModel, opt: torch.optim.Optimizer, batches: LinkBatches, positives: NegativeSampler,
                    cfg: TrainConfig, device: torch.device, step: Step | None = None) -> float:
    """One pass over the seed pairs in ``LinkNeighborLoader`` batches; the mean loss per pair. ``step`` runs each
    batch's loss (:func:`graphrec.train.distributed.replicate`: DDP in a process group; default: directly)."""
    total, n = torch.zeros((), device=device), 0
    for batch in batches:
        def loss_fn(batch: HeteroData = batch) -> Tensor:
            return batch_loss(bound, batch, batches, positives, cfg, device)
        loss = step(loss_fn) if step is not None else loss_fn()
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        size = int(batch[bound.user_type].src_index.numel())
        total += loss.detach() * size
        n += size
    return distributed.mean(float(total) / max(n, 1))
