"""Evaluation protocols: the loaded split (``warm``), new items (``cold-items``) and new users (``cold-users``).

The splits are pure, seeded functions of the interaction pairs; :func:`apply_protocol` turns a loaded
:class:`RecGraph` into the graph a protocol evaluates, and :func:`protocol_metrics` is what :func:`graphrec.train.fit`
scores on its test pairs.

- ``warm``: the loaded split as it is (stored, temporal or random).
- ``cold-items``: a seeded 20% of the items that have interactions lose *all* of them to the test split; every
  other interaction (the loaded split's train, valid and test pairs) is training, and the fit carves its
  validation from those, so neither training nor validation ever holds a cold item's pair. The cold items keep
  their side information: text embedding, entities/KG edges and *side behaviours* (behaviour types that are not
  ``--interactions``), except on the held-out pairs themselves, which the loader's rule for every held-out pair
  removes (a user's tag on the very item they are tested on would give the answer away). Two rankings are
  scored: among all items (the usual keys) and among the cold items only (``metrics["cold"]``).
- ``cold-users``: a seeded 20% of the users with more than 3 interactions keep only their earliest 3 (by first
  ``ts``; a seeded random order where there is none) in training, the rest are their test pairs; metrics are
  over those users. Every other user keeps all their interactions in training.

``by_activity`` splits the test metrics by each evaluated user's training interactions (buckets
:data:`ACTIVITY_BUCKETS`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from graphrec.loaders.types import RecGraph
from graphrec.train.metrics import rank_groups, rank_scored
from graphrec.train.rerank import CoverageRerank

PROTOCOLS = ("warm", "cold-items", "cold-users")
COLD_SHARE = 0.2
"""Share of the items (``cold-items``) or of the eligible users (``cold-users``) made cold."""
COLD_USER_KEEP = 3
"""Training interactions a cold user keeps: their earliest."""
ACTIVITY_BUCKETS: tuple[tuple[str, int, int | None], ...] = (("<10", 0, 9), ("10-50", 10, 50), (">50", 51, None))
"""``(name, least, most)`` training interactions of a user, both ends included (``None``: no upper end)."""


def _seeded_share(values: Tensor, share: float, seed: int) -> Tensor:
    """A seeded ``share`` of ``values`` (at least one when there are any), sorted."""
    if values.numel() == 0:
        return values
    n = max(1, round(share * values.numel()))
    g = torch.Generator().manual_seed(seed)
    return values[torch.randperm(values.numel(), generator=g)[:n]].sort().values


def cold_items_split(pairs: Tensor, seed: int, share: float = COLD_SHARE) -> tuple[Tensor, Tensor, Tensor]:
    """Make a seeded ``share`` of the items in ``pairs`` cold: every pair of theirs is a test pair.

    Args:
        pairs: ``[2, E]`` (user, item) interaction pairs.
        seed: random seed.
        share: share of the items that have a pair (default: :data:`COLD_SHARE`).

    Returns:
        ``(train, test, cold_items)``: the pairs of the other items, the cold items' pairs, the sorted cold items.
    """
    pairs = pairs.long().cpu()
    cold = _seeded_share(torch.unique(pairs[1]), share, seed)
    is_cold = torch.isin(pairs[1], cold)
    return pairs[:, ~is_cold], pairs[:, is_cold], cold


def cold_users_split(pairs: Tensor, seed: int, ts: Tensor | None = None, share: float = COLD_SHARE,
                     keep: int = COLD_USER_KEEP) -> tuple[Tensor, Tensor, Tensor]:
    """Make a seeded ``share`` of the users with more than ``keep`` pairs cold: they keep their first ``keep``.

    Args:
        pairs: ``[2, E]`` (user, item) interaction pairs.
        seed: random seed (the choice of users, and the order of pairs without a timestamp or with equal ones).
        ts: ``[E]`` timestamp of each pair, -1 where none (default: no timestamps, a seeded random order).
        share: share of the eligible users (default: :data:`COLD_SHARE`).
        keep: training pairs a cold user keeps (default: :data:`COLD_USER_KEEP`).

    Returns:
        ``(train, test, cold_users)``: every other user's pairs and the cold users' earliest ``keep``; the cold
        users' later pairs; the sorted cold users.
    """
    pairs = pairs.long().cpu()
    g = torch.Generator().manual_seed(seed)
    tie = torch.randperm(pairs.size(1), generator=g)
    when = ts.long().cpu() if ts is not None else torch.full((pairs.size(1),), -1, dtype=torch.long)
    when = torch.where(when >= 0, when, torch.iinfo(torch.long).max)   # no timestamp: after every dated pair
    order = torch.argsort(tie)                                  # random order, then stable sorts on the keys
    order = order[torch.argsort(when[order], stable=True)]
    order = order[torch.argsort(pairs[0, order], stable=True)]
    users = pairs[0, order]
    count = torch.bincount(pairs[0], minlength=int(pairs[0].max()) + 1 if pairs.numel() else 0)
    rank = torch.arange(users.numel()) - (torch.cumsum(count, 0) - count)[users]
    cold = _seeded_share(torch.nonzero(count > keep).flatten(), share, seed + 1)
    held = torch.zeros(pairs.size(1), dtype=torch.bool)
    held[order] = torch.isin(users, cold) & (rank >= keep)
    return pairs[:, ~held], pairs[:, held], cold


def _pair_keys(pairs: Tensor, num_items: int) -> Tensor:
    return pairs[0].long() * num_items + pairs[1].long()


def _without(data: HeteroData, graph: RecGraph, held: Tensor) -> HeteroData:
    """``data`` less every user→item edge (and its reverse) on a ``held`` pair: no held-out pair is an edge."""
    ut, it, ni = graph.user_type, graph.item_type, graph.num_items
    keys = torch.sort(_pair_keys(held, ni)).values
    out = copy.copy(data)   # new stores, the same tensors: only the edited edge indices change
    for et in data.edge_types:
        src, _, dst = et
        if {src, dst} != {ut, it} or ut == it:
            continue
        ei = data[et].edge_index.long()
        pair = ei if src == ut else ei.flip(0)
        out[et].edge_index = ei[:, ~torch.isin(_pair_keys(pair, ni), keys)]
    return out


def _weights_of(graph: RecGraph, train: Tensor) -> Tensor | None:
    """``graph.train_weight`` carried onto the pairs ``train`` (NaN for a pair that was not training before)."""
    if graph.train_weight is None:
        return None
    old = _pair_keys(graph.train, graph.num_items)
    order = torch.argsort(old)
    old, w = old[order], graph.train_weight[order]
    new = _pair_keys(train, graph.num_items)
    pos = torch.searchsorted(old, new).clamp(max=max(old.numel() - 1, 0))
    found = old[pos] == new if old.numel() else torch.zeros_like(new, dtype=torch.bool)
    return torch.where(found, w[pos] if old.numel() else torch.zeros(new.shape), torch.full(new.shape, float("nan")))


def pair_times(graph: RecGraph, pairs: Tensor) -> Tensor | None:
    """The first ``ts`` of each pair from ``graph.pair_ts`` (-1 where unknown), or ``None`` without them."""
    if graph.pair_ts is None:
        return None
    keys = _pair_keys(graph.pair_ts[:2], graph.num_items)
    order = torch.argsort(keys)
    keys, ts = keys[order], graph.pair_ts[2, order]
    q = _pair_keys(pairs, graph.num_items)
    pos = torch.searchsorted(keys, q).clamp(max=max(keys.numel() - 1, 0))
    found = keys[pos] == q if keys.numel() else torch.zeros_like(q, dtype=torch.bool)
    return torch.where(found, ts[pos] if keys.numel() else q, torch.full_like(q, -1))


def apply_protocol(graph: RecGraph, protocol: str, seed: int) -> RecGraph:
    """The graph ``protocol`` evaluates: ``graph`` itself for ``warm``, else new train/test pairs (no valid pairs:
    the fit carves its own from training) and no message-passing edge on a test pair.

    Raises:
        ValueError: an unknown protocol.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    if protocol == "warm":
        return graph
    ni = graph.num_items
    keys = torch.unique(torch.cat([_pair_keys(p, ni) for p in (graph.train, graph.valid, graph.test)]))
    pairs = torch.stack([keys // ni, keys % ni])
    cold_items = None
    if protocol == "cold-items":
        train, test, cold_items = cold_items_split(pairs, seed)
    else:
        train, test, _ = cold_users_split(pairs, seed, pair_times(graph, pairs))
    return replace(graph, data=_without(graph.data, graph, test), train=train, test=test,
                   valid=torch.empty(2, 0, dtype=torch.long), train_weight=_weights_of(graph, train),
                   protocol=protocol, cold_items=cold_items)


def activity_groups(train: Tensor, num_users: int) -> dict[str, Tensor]:
    """Users by their number of ``train`` pairs, one entry per :data:`ACTIVITY_BUCKETS` bucket."""
    count = torch.bincount(train[0].long().cpu(), minlength=num_users)
    top = torch.iinfo(torch.long).max
    return {name: torch.nonzero((count >= lo) & (count <= (top if hi is None else hi))).flatten()
            for name, lo, hi in ACTIVITY_BUCKETS}


def protocol_metrics(graph: RecGraph, score: Callable[[Tensor], Tensor], train: Tensor, ks: tuple[int, ...],
                     batch_size: int, by_activity: bool = False,
                     rerank: CoverageRerank | None = None) -> dict[str, dict[str, float]]:
    """The test figures of a fitted scorer under ``graph.protocol``, ``train`` (its training pairs) masked, the
    lists re-ranked together by ``rerank`` where given (each ranking its own pass).

    Returns:
        ``{"test": …}`` (accuracy and beyond-accuracy among all items); with ``cold-items`` also ``"cold"`` (the
        ranking among the cold items only); with ``by_activity`` also ``"activity <10"``, … per bucket.
    """
    groups = activity_groups(train, graph.num_users) if by_activity else None
    ranked = rank_groups(score, graph.num_items, graph.test, [train], ks, batch_size, tail=True, groups=groups,
                         rerank=rerank)
    out = {"test": ranked.pop("all")}
    out.update({f"activity {name}": m for name, m in ranked.items()})
    if graph.cold_items is not None:
        out["cold"] = rank_scored(score, graph.num_items, graph.test, [train], ks, batch_size, tail=True,
                                  items=graph.cold_items, rerank=rerank)
    return out
