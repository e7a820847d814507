"""The item–item models' two paths: dense where ``items²`` fits the memory bound, sparse where it does not."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch_geometric.data import HeteroData

from graphrec.errors import CapacityError
from graphrec.loaders.types import RecGraph
from graphrec.train import TrainConfig, fit
from graphrec.train.linear import EaseRecommender, GraphRecommender
from tests.train.conftest import tiny_graph

FAST = TrainConfig(dim=8, out_dir=None)
TINY_GB = 1e-6          # forces the sparse path: a dense solve needs more than 1 KB at any size here


def _dense_taste_graph(users: int = 120, items: int = 24, seed: int = 0) -> RecGraph:
    """Every user has ~60% of the items, so every item pair co-occurs: a neighbourhood of all items is the
    whole Gram column, where the sparse path must equal the dense one."""
    g = torch.Generator().manual_seed(seed)
    has = torch.rand(users, items, generator=g) < 0.6
    pairs = has.nonzero().T
    test_mask = torch.rand(pairs.size(1), generator=g) < 0.1
    data = HeteroData()
    data["User"].num_nodes, data["Item"].num_nodes = users, items
    train = pairs[:, ~test_mask]
    data["User", "RATED", "Item"].edge_index = train
    return RecGraph(data=data, ids={"User": [f"u{i}" for i in range(users)], "Item": [f"i{i}" for i in range(items)]},
                    train=train, valid=torch.empty(2, 0, dtype=torch.long), test=pairs[:, test_mask],
                    behaviours=["RATED"])


def _top10(art: Any) -> torch.Tensor:
    assert art.top_items is not None
    return art.top_items[:, :10]


def test_the_path_follows_the_memory_bound() -> None:
    rec = GraphRecommender(FAST, torch.device("cpu"))
    assert rec.path(1000) == "dense"
    assert GraphRecommender(replace(FAST, memory_gb=0.01), torch.device("cpu")).path(1000) == "sparse"
    assert GraphRecommender(replace(FAST, neighbours=50), torch.device("cpu")).path(1000) == "sparse"
    with pytest.raises(CapacityError, match=r"dense solve needs .* GiB > .* GiB"):
        EaseRecommender(replace(FAST, memory_gb=0.01), torch.device("cpu")).path(1000)


@pytest.mark.parametrize("model,extra", [("ease", {}), ("graph", {"side": (), "filter": False})])
def test_sparse_with_every_neighbour_gives_the_dense_top10(model: str, extra: dict[str, Any]) -> None:
    graph = _dense_taste_graph()
    cfg = replace(FAST, model=model, lam=20.0, **extra)
    dense = fit(graph, cfg, progress=False, holdout=False)
    sparse = fit(graph, replace(cfg, memory_gb=TINY_GB, neighbours=graph.num_items - 1), progress=False,
                 holdout=False)
    assert dense.info["refit"]["path"] == "dense" and sparse.info["refit"]["path"] == "sparse"
    assert torch.equal(_top10(dense), _top10(sparse))
    assert sparse.top_scores is not None and dense.top_scores is not None
    assert torch.allclose(sparse.top_scores, dense.top_scores, atol=1e-4)


def test_the_default_takes_the_sparse_path_by_itself_and_still_learns() -> None:
    graph = tiny_graph()
    art = fit(graph, replace(FAST, memory_gb=TINY_GB), progress=False)
    assert art.info["refit"]["path"] == "sparse" and art.params["chosen"]["path"] == "sparse"
    dense = fit(graph, FAST, progress=False)
    assert dense.info["refit"]["path"] == "dense"
    # the communities are learnable: each user's test item is of its own community (half the items)
    assert art.metrics["test"]["recall@10"] > 0.8
    assert art.metrics["test"]["recall@10"] >= dense.metrics["test"]["recall@10"] - 0.1
    # vectors come from the operator: the user's vector scores its own community's items higher
    scores = art.user_emb @ art.item_emb.T
    own = torch.arange(graph.num_items) % 2 == 0
    assert float(scores[0, own].mean()) > float(scores[0, ~own].mean())


class _NoSquare(TorchDispatchMode):
    """Fails on any torch op whose output has two dimensions of the catalogue's size."""

    def __init__(self, items: int) -> None:
        super().__init__()
        self.items = items

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor) and list(t.shape).count(self.items) >= 2:
                raise AssertionError(f"{func}: an [items, items] tensor {tuple(t.shape)}")
        return out


@contextmanager
def _numpy_peak() -> Iterator[list[int]]:
    tracemalloc.start()
    peak: list[int] = []
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def test_the_sparse_path_never_allocates_items_squared() -> None:
    graph = tiny_graph()
    # grow the catalogue so that items² (2,500² floats = 25 MB) dwarfs everything else the fit holds
    items = 2_500
    graph.ids["Item"] = [f"i{i}" for i in range(items)]
    graph.data["Item"].num_nodes = items
    graph.data["Item"].x = torch.cat([graph.data["Item"].x, torch.zeros(items - 30, 16)])
    cfg = replace(FAST, memory_gb=TINY_GB, eval_batch_size=64, search_items=100)   # one carve, two λ: quick
    with _numpy_peak() as peak, _NoSquare(items):
        art = fit(graph, cfg, progress=False)
    assert art.info["refit"]["path"] == "sparse"
    assert peak[0] < 4 * items * items / 4, f"numpy/scipy peak {peak[0] / 1e6:.1f} MB"
    # the guard itself fails on a dense fit of the same graph
    with pytest.raises(AssertionError, match="items, items"), _NoSquare(items):
        fit(graph, replace(cfg, memory_gb=None), progress=False)


def test_a_large_sparse_catalogue_chooses_on_a_sample_of_its_own_columns() -> None:
    graph = tiny_graph()
    cfg = replace(FAST, memory_gb=TINY_GB, select_items=20, search_items=3)
    art = fit(graph, cfg, progress=False)
    assert "items" not in art.info["selection"]                  # no head view: the whole catalogue's columns
    chosen = art.params["chosen"]
    assert graph.num_items // 10 <= chosen["columns"] < graph.num_items
    assert chosen["path"] == "sparse" and art.info["refit"]["path"] == "sparse"
    assert art.top_items is not None and art.top_items.size(0) == graph.num_users
    assert art.metrics["test"]["recall@10"] > 0.5


def test_selection_and_refit_take_the_same_path_while_memory_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    # the memory available falls during the fit (another process starts): the path read at selection holds
    import graphrec.train.base as base

    readings = iter([1 << 40] + [1 << 10] * 1000)
    monkeypatch.setattr(base, "available_memory", lambda: next(readings))
    art = fit(_dense_taste_graph(), replace(FAST, lam=20.0, filter=False, side=()), progress=False)
    assert art.params["chosen"]["path"] == art.info["refit"]["path"] == "dense"


def test_sampled_columns_judge_each_trial_with_the_filter_of_its_weights() -> None:
    from graphrec.train.colsample import ColumnSample
    from graphrec.train.linear import PROBE_BLEND, SAMPLED_LAMBDA_STEPS
    from graphrec.train.matrices import side_info

    graph = tiny_graph(valid=True)
    cfg = replace(FAST, memory_gb=TINY_GB, select_items=20, search_items=3)
    model = GraphRecommender(cfg, torch.device("cpu"))
    side = side_info(graph)
    cols = ColumnSample.build(graph.train, graph.valid, graph.num_items, 3)
    assert model._probe_filter(graph, graph.train, side, None)[0]({}) == (None, None, 0.0)   # every column: none
    probe, factors = model._probe_filter(graph, graph.train, side, cols)
    left, right, blend = probe({})
    assert left is not None and right is not None and blend == PROBE_BLEND
    assert left.size(0) == graph.num_items and right.size(0) == cols.cols.numel()
    assert factors({})[0] is factors({})[0]                      # one SVD per weights, shared with the filter search
    assert torch.equal(left, factors({})[0][:, :left.size(1)])
    ent_left = probe({"entities": 2.0})[0]
    assert ent_left is not None and not torch.allclose(ent_left.abs(), left.abs())   # the KG rows change it
    assert model._lambda_steps(graph.num_items) == SAMPLED_LAMBDA_STEPS
