"""Training past one process (:mod:`graphrec.train.distributed`): two local gloo ranks against one process.

One group of 2 spawned ranks runs every case (starting the processes is most of the cost); the single-process
baselines run here.
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import torch
import torch.distributed as dist

from graphrec.train import TrainConfig, fit, train_bpr
from graphrec.train import distributed as gd

from .conftest import tiny_graph

BPR = TrainConfig(model="lightgcn", epochs=30, dim=16, layers=2, lr=0.02, batch_size=64, eval_every=3, patience=10,
                  out_dir=None)


CASES = {"full": BPR, "minibatch": replace(BPR, minibatch=True, fanout=5), "hetero": replace(BPR, model="hetero")}


def _matrix() -> sp.csr_matrix:
    rng = np.random.default_rng(0)
    return sp.random(37, 11, density=0.3, format="csr", dtype=np.float32, random_state=rng) * 0.37


def _cases() -> dict[str, Any]:
    """What each rank computes (rank 0's copy is compared with one process)."""
    out: dict[str, Any] = {"rank": gd.rank(), "world": gd.world()}
    x = _matrix()
    out["gram"] = gd.gram(x)
    shards: list[Any] = [None] * gd.world()
    dist.all_gather_object(shards, gd.shard(torch.arange(11)).tolist())
    out["shards"] = shards
    for model in ("ease", "graph"):
        a = fit(tiny_graph(valid=True), replace(TrainConfig(out_dir=None), model=model), progress=False)
        out[model] = (a.info["selection"]["params"], a.metrics["test"])
    for name, cfg in CASES.items():
        res = train_bpr(tiny_graph(), cfg, progress=False)
        both: list[Any] = [None] * gd.world()
        dist.all_gather_object(both, res.user_emb)   # different pairs per rank: equal only if gradients are shared
        out[name] = ([r["loss"] for r in res.history], res.metrics["test"], torch.equal(*both))
    return out


def _rank(out: Path) -> None:
    torch.set_num_threads(1)
    with gd.group(cuda=False):
        result = _cases()
    if result["rank"] == 0:
        out.write_bytes(pickle.dumps(result))


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("ranks") / "rank0.pickle"
    gd.spawn(2, _rank, out)
    result: dict[str, Any] = pickle.loads(out.read_bytes())
    return result


def test_outside_a_group_everything_is_one_process() -> None:
    assert not gd.active() and gd.rank() == 0 and gd.world() == 1 and gd.local_batch(64) == 64
    x = _matrix()
    assert torch.equal(gd.gram(x), torch.from_numpy((x.T @ x).toarray()))
    perm = torch.randperm(9)
    assert gd.shard(perm) is perm and gd.seed_sampler(9, 0) is None
    assert gd.replicate(torch.nn.Linear(2, 2), torch.device("cpu"))(lambda: torch.ones(1)).item() == 1.0


def test_the_ranks_sum_the_gram_matrix_and_split_the_seeds(two_ranks: dict[str, Any]) -> None:
    assert two_ranks["world"] == 2
    x = _matrix()
    # each rank's rows alone give half the matrix: only the all_reduce makes it the whole XᵀX
    assert torch.allclose(two_ranks["gram"], torch.from_numpy((x.T @ x).toarray()), rtol=1e-5, atol=1e-6)
    a, b = two_ranks["shards"]
    assert len(a) == len(b) == 6 and sorted(set(a) | set(b)) == list(range(11))   # one pair padded in


@pytest.mark.parametrize("model", ["ease", "graph"])
def test_two_workers_choose_and_score_as_one(model: str, two_ranks: dict[str, Any]) -> None:
    one = fit(tiny_graph(valid=True), replace(TrainConfig(out_dir=None), model=model), progress=False)
    params, test = two_ranks[model]
    assert params == one.info["selection"]["params"]
    for k in ("recall@20", "ndcg@20", "recall@10"):
        assert test[k] == pytest.approx(one.metrics["test"][k], abs=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_ddp_gnns_learn_like_one_process(name: str, two_ranks: dict[str, Any]) -> None:
    one = train_bpr(tiny_graph(), CASES[name], progress=False)
    losses, test, ranks_agree = two_ranks[name]
    assert ranks_agree                                     # DDP: one model on both ranks
    assert len(losses) == len(one.history) == BPR.epochs
    assert losses[-1] < 0.6 * losses[0]                  # the loss falls
    # two communities: chance recall@10 is ~1/3; both learn them, within a few points of each other
    assert test["recall@10"] > 0.5 and one.metrics["test"]["recall@10"] > 0.5
    assert test["recall@10"] == pytest.approx(one.metrics["test"]["recall@10"], abs=0.1)
