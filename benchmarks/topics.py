"""A seeded synthetic recommendation graph *with structure*, for measuring quality at scale.

Items belong to topics and sub-topics; each user prefers a few topics (and within them one or two
sub-topics); item popularity and user activity are power-law; 15% of each user's interactions are noise
(an item drawn by global popularity alone). The KG is correlated with the topics: each item links to its
topic's entity, its sub-topic's entity and two attribute entities drawn from its sub-topic's pool, plus one
noise entity drawn from a shared pool. There is no item text. Each user's pairs are split 80/20 into train and
test at random (seeded). So a model that learns the topics from the interactions — or from the KG — has
something to find, and a popularity model does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch_geometric.data import HeteroData

from graphrec.loaders.types import RecGraph

NOISE = 0.15
"""Share of each user's interactions drawn by global popularity alone."""
SUB_PREFERENCE = 0.7
"""Chance that a topical interaction stays in one of the user's preferred sub-topics."""


@dataclass(frozen=True)
class Size:
    items: int
    users: int
    interactions: int

    @property
    def label(self) -> str:
        return f"{self.items // 1000}k items / {self.users // 1000}k users / {self.interactions / 1e6:g}M"


SIZES = (Size(25_000, 70_000, 850_000), Size(100_000, 300_000, 3_000_000), Size(300_000, 1_000_000, 10_000_000),
         Size(1_000_000, 2_000_000, 20_000_000))
"""The four sizes of the every-catalogue issue (items / users / interactions)."""


def _zipf(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    w = np.arange(1, n + 1, dtype=np.float64) ** -exponent
    return rng.permutation(w)


def _structure(size: Size, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    """``(topic of each item, sub-topic of each item, sub-topics per topic)``."""
    topics = max(4, int(round(size.items ** 0.5 / 5)))
    subs = 8
    topic = rng.integers(0, topics, size.items)
    sub = topic * subs + rng.integers(0, subs, size.items)
    return topic, sub, subs


def _draw(groups: np.ndarray, pop: np.ndarray, want_group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each entry of ``want_group``, an item of that group drawn in proportion to ``pop``."""
    order = np.lexsort((np.arange(groups.size), groups))
    g_sorted = groups[order]
    cum = np.cumsum(pop[order])
    first = np.searchsorted(g_sorted, want_group, side="left")
    last = np.searchsorted(g_sorted, want_group, side="right") - 1
    lo = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
    hi = cum[last]
    pick = np.searchsorted(cum, lo + rng.random(want_group.size) * (hi - lo), side="right")
    return np.asarray(order[np.clip(pick, first, last)])


def _pairs(size: Size, topic: np.ndarray, sub: np.ndarray, subs: int, rng: np.random.Generator) -> np.ndarray:
    """``[2, E]`` distinct (user, item) pairs, about ``size.interactions`` of them."""
    topics = int(topic.max()) + 1
    pop = _zipf(size.items, 0.9, rng)
    activity = _zipf(size.users, 0.7, rng)
    counts = np.maximum(3, np.round(activity / activity.sum() * size.interactions * 1.25)).astype(np.int64)
    user = np.repeat(np.arange(size.users), counts)
    n = user.size
    fav = rng.integers(0, topics, (size.users, 3))                       # each user's topics
    fav_sub = rng.integers(0, subs, (size.users, 3, 2))                  # and two sub-topics in each
    which = np.minimum(rng.geometric(0.55, n) - 1, 2)                    # mostly the first topic
    t = fav[user, which]
    in_sub = rng.random(n) < SUB_PREFERENCE
    s = np.where(in_sub, t * subs + fav_sub[user, which, rng.integers(0, 2, n)], t * subs + rng.integers(0, subs, n))
    item = _draw(sub, pop, s, rng)
    noise = rng.random(n) < NOISE
    item[noise] = _draw(np.zeros(size.items, dtype=np.int64), pop, np.zeros(int(noise.sum()), dtype=np.int64), rng)
    keys = np.unique(user * size.items + item)
    if keys.size > size.interactions:                                    # oversampled for the duplicates
        keys = np.sort(rng.choice(keys, size.interactions, replace=False))
    return np.stack([keys // size.items, keys % size.items])


def _kg(size: Size, topic: np.ndarray, sub: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """``[2, T]`` (item, entity) links and the number of entities."""
    topics, subs_total = int(topic.max()) + 1, int(sub.max()) + 1
    attr_per_sub, noise_ents = 20, max(100, size.items // 50)
    items = np.arange(size.items)
    attr = topics + subs_total + sub * attr_per_sub + rng.integers(0, attr_per_sub, (2, size.items))
    noise = topics + subs_total + subs_total * attr_per_sub + rng.integers(0, noise_ents, size.items)
    links = np.concatenate([np.stack([items, topic]), np.stack([items, topics + sub]),
                            np.stack([items, attr[0]]), np.stack([items, attr[1]]), np.stack([items, noise])], 1)
    links = np.unique(links, axis=1)
    return links, topics + subs_total + subs_total * attr_per_sub + noise_ents


def topic_graph(size: Size, seed: int = 0) -> RecGraph:
    """The seeded structured graph of ``size``: train/test split 80/20 per user, no validation pairs."""
    rng = np.random.default_rng(seed)
    topic, sub, subs = _structure(size, rng)
    pairs = _pairs(size, topic, sub, subs, rng)
    test = rng.random(pairs.shape[1]) < 0.2
    links, n_ent = _kg(size, topic, sub, rng)
    train_t = torch.from_numpy(pairs[:, ~test].copy())
    data = HeteroData()
    data["User"].num_nodes, data["Item"].num_nodes, data["Entity"].num_nodes = size.users, size.items, n_ent
    data["User", "RATED", "Item"].edge_index = train_t
    data["Item", "rev_RATED", "User"].edge_index = train_t.flip(0)
    kg = torch.from_numpy(links)
    data["Item", "HAS", "Entity"].edge_index = kg
    data["Entity", "rev_HAS", "Item"].edge_index = kg.flip(0)
    ids = {"User": [f"u{i}" for i in range(size.users)], "Item": [f"i{i}" for i in range(size.items)],
           "Entity": [f"e{i}" for i in range(n_ent)]}
    return RecGraph(data=data, ids=ids, train=train_t, valid=torch.empty(2, 0, dtype=torch.long),
                    test=torch.from_numpy(pairs[:, test].copy()), behaviours=["RATED"])


def sample_test_users(graph: RecGraph, users: int, seed: int = 0) -> None:
    """Keep the test pairs of at most ``users`` users (a seeded sample), in place: full ranking of every user
    of a million-item catalogue is the evaluation's cost, not the model's."""
    from graphrec.train.sampling import sample_users

    graph.test = sample_users(graph.test, users, seed)
