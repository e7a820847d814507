"""A tiny, learnable RecGraph: two user communities, each preferring one half of the items."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import HeteroData

from graphrec.loaders.types import RecGraph


def tiny_graph(valid: bool = False, text: bool = True, seed: int = 0) -> RecGraph:
    g = torch.Generator().manual_seed(seed)
    num_users, num_items, num_ents = 40, 30, 6
    group_u = torch.arange(num_users) % 2
    group_i = torch.arange(num_items) % 2
    pairs = []
    for u in range(num_users):
        liked = torch.nonzero(group_i == group_u[u]).flatten()
        pick = liked[torch.randperm(liked.numel(), generator=g)[:8]]
        pairs += [(u, int(i)) for i in pick]
    all_pairs = torch.tensor(pairs).T
    # per user: 6 train, 1 valid, 1 test (or 7 train when no valid split)
    rank = torch.arange(all_pairs.size(1)) % 8
    test = all_pairs[:, rank == 7]
    va = all_pairs[:, rank == 6]
    train = all_pairs[:, rank < (6 if valid else 7)]
    data = HeteroData()
    data["User"].num_nodes = num_users
    data["Item"].num_nodes = num_items
    data["Entity"].num_nodes = num_ents
    data["User", "RATED", "Item"].edge_index = train
    data["Item", "rev_RATED", "User"].edge_index = train.flip(0)
    genre = torch.stack([torch.arange(num_items), group_i * 3 + torch.arange(num_items) % 3])
    data["Item", "HAS_GENRE", "Entity"].edge_index = genre
    data["Entity", "rev_HAS_GENRE", "Item"].edge_index = genre.flip(0)
    friends = torch.stack([torch.arange(num_users), (torch.arange(num_users) + 2) % num_users])
    data["User", "FRIEND", "User"].edge_index = friends
    data["User", "rev_FRIEND", "User"].edge_index = friends.flip(0)
    if text:
        data["Item"].x = torch.randn(num_items, 16, generator=g) + group_i.unsqueeze(1).float()
        data["Entity"].x = torch.randn(num_ents, 16, generator=g)
    return RecGraph(
        data=data,
        ids={
            "User": [f"u{i}" for i in range(num_users)],
            "Item": [f"i{i}" for i in range(num_items)],
            "Entity": [f"e{i}" for i in range(num_ents)],
        },
        train=train,
        valid=va if valid else torch.empty(2, 0, dtype=torch.long),
        test=test,
        behaviours=["RATED"],
    )


@pytest.fixture
def graph() -> RecGraph:
    return tiny_graph()


@pytest.fixture
def graph_with_valid() -> RecGraph:
    return tiny_graph(valid=True)
