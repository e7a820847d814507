"""The structured synthetic graph of the scale benchmark: the structure a model is meant to find is there."""

from __future__ import annotations

import torch

from benchmarks.topics import Size, sample_test_users, topic_graph


def test_the_topic_graph_has_its_size_split_and_structure() -> None:
    size = Size(2_000, 3_000, 40_000)
    g = topic_graph(size, seed=1)
    pairs = torch.cat([g.train, g.test], 1)
    assert (g.num_items, g.num_users) == (2_000, 3_000)
    assert 0.95 * 40_000 <= pairs.size(1) <= 40_000
    assert torch.unique(pairs[0] * 2_000 + pairs[1]).numel() == pairs.size(1)       # distinct pairs
    assert 0.17 < g.test.size(1) / pairs.size(1) < 0.23                 # 80/20 per pair
    assert torch.equal(topic_graph(size, seed=1).train, g.train)           # seeded
    # power-law popularity: the top 1% of items hold far more than 1% of the interactions
    deg = torch.bincount(pairs[1], minlength=2_000).sort(descending=True).values
    assert deg[:20].sum() > 0.05 * pairs.size(1)
    # users keep to their topics: two pairs of one user share the item's topic entity far more often than chance
    kg = g.data["Item", "HAS", "Entity"].edge_index
    # the lowest entity id an item links to is its topic's (topic entities are numbered first)
    topic = torch.zeros(2_000, dtype=torch.long).scatter_reduce(0, kg[0], kg[1], "amin", include_self=False)
    u = g.train[0]
    order = torch.argsort(u, stable=True)
    same_user = u[order][1:] == u[order][:-1]
    t = topic[g.train[1][order]]
    share = float((t[1:] == t[:-1])[same_user].float().mean())
    assert share > 2.5 / (int(topic.max()) + 1), share   # chance: one over the number of topics
    sample_test_users(g, 100)
    assert torch.unique(g.test[0]).numel() == 100
