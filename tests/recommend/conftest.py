"""A published toy graph shared by the read-only recommend tests of a module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import torch
from neo4j import Driver
from torch import Tensor

from graphrec.writeback import PublishResult, RunSpec, publish
from tests.conftest import clear_graph
from tests.recommend.toygraph import ToyGraph, build

K = 8


@dataclass
class Published:
    """The toy graph, its embeddings and the published run."""

    graph: ToyGraph
    user_emb: Tensor
    item_emb: Tensor
    result: PublishResult

    def expected(self, user: str, k: int = K) -> list[str]:
        """Exact top-k unseen items of ``user`` by dot product."""
        ui = self.graph.ids["User"].index(user)
        scores = self.item_emb @ self.user_emb[ui]
        for item in self.graph.seen[user]:
            scores[self.graph.ids["Item"].index(item)] = float("-inf")
        return [self.graph.ids["Item"][i] for i in torch.topk(scores, k).indices.tolist()]


@pytest.fixture(scope="module")
def published(driver: Driver) -> Iterator[Published]:
    clear_graph(driver)
    graph = build(driver, users=30, items=60, degree=6, seed=1)
    user_emb, item_emb = graph.embeddings(dim=16, seed=1)
    result = publish(driver, RunSpec("toy", {"dim": 16}, {"recall@20": 0.5}), graph.ids, user_emb, item_emb,
                     graph.exclude, k=K)
    yield Published(graph, user_emb, item_emb, result)
    clear_graph(driver)
