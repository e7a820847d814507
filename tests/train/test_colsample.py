"""Choosing on a sample of a large catalogue's columns: the sample, and the rank estimate."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphrec.train import TrainConfig
from graphrec.train.colsample import ColumnSample
from graphrec.train.estimate import item_item_work
from graphrec.train.linear import GraphRecommender
from graphrec.train.metrics import rank_scored


def _world(users: int, items: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, sp.csr_matrix]:
    """Power-law item popularity; train and valid pairs; a fixed [users, items] score matrix."""
    g = torch.Generator().manual_seed(seed)
    pop = 1.0 / torch.arange(1, items + 1).float() ** 0.8
    train = torch.stack([torch.arange(users).repeat_interleave(8),
                         torch.multinomial(pop, users * 8, replacement=True, generator=g)])
    valid = torch.stack([torch.arange(users).repeat_interleave(2),
                         torch.multinomial(pop, users * 2, replacement=True, generator=g)])
    valid = torch.unique(valid, dim=1)
    valid = valid[:, ~torch.isin(valid[0] * items + valid[1], train[0] * items + train[1])]
    inp = sp.csr_matrix((np.ones(train.size(1), dtype=np.float32), (train[0].numpy(), train[1].numpy())),
                        shape=(users, items))
    inp.sum_duplicates()
    inp.data[:] = 1.0
    return train, valid, pop, inp


def _scores(pop: torch.Tensor, valid: torch.Tensor, users: int, signal: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(users, pop.numel(), generator=g) + 3 * pop.log().unsqueeze(0) / 4
    s[valid[0], valid[1]] += signal                       # a better model lifts the held-out items more
    return s


def test_every_column_as_distractor_is_the_exact_metric() -> None:
    train, valid, pop, inp = _world(200, 300, 0)
    s = _scores(pop, valid, 200, 2.0, 1)
    cols = ColumnSample.build(train, valid, 300, size=300)
    assert cols.full and cols.cols.numel() == 300
    est = cols.metrics(lambda u: s[u], inp, valid)
    exact = rank_scored(lambda u: s[u], 300, valid, [train], (20,))
    assert abs(est["recall@20"] - exact["recall@20"]) < 1e-9
    assert abs(est["ndcg@20"] - exact["ndcg@20"]) < 1e-9


def test_the_sample_keeps_the_tail_in_proportion_and_every_validation_item() -> None:
    train, valid, _, _ = _world(500, 2_000, 2)
    cols = ColumnSample.build(train, valid, 2_000, size=100)
    assert abs(cols.share - 0.1) < 1e-9                    # at least a tenth of the catalogue
    assert set(valid[1].tolist()) <= set(cols.cols.tolist())
    degree = torch.bincount(train[1], minlength=2_000).float()
    sample = cols.cols[cols.distractor]
    # the systematic sample's degree quantiles follow the catalogue's (the never-seen tail included)
    for q in (0.25, 0.5, 0.9):
        assert abs(float(degree[sample].quantile(q)) - float(degree.quantile(q))) <= 1.0
    assert float(degree[sample].min()) == 0.0


def test_a_tenth_of_the_columns_estimates_the_metric_and_orders_models() -> None:
    train, valid, pop, inp = _world(600, 3_000, 3)
    cols = ColumnSample.build(train, valid, 3_000, size=300)
    figures = []
    for signal in (1.0, 2.0, 3.0):
        s = _scores(pop, valid, 600, signal, 4)
        sub = s[:, cols.cols]
        est = cols.metrics(lambda u, sub=sub: sub[u], inp, valid)
        exact = rank_scored(lambda u, s=s: s[u], 3_000, valid, [train], (20,))
        assert abs(est["recall@20"] - exact["recall@20"]) < 0.25 * exact["recall@20"] + 0.01, (est, exact)
        figures.append(est["recall@20"] + est["ndcg@20"])
    assert figures[0] < figures[1] < figures[2]


def test_the_estimate_names_the_column_sample_on_the_sparse_path_only() -> None:
    cfg = TrainConfig(model="graph", out_dir=None, memory_gb=1e-6)
    sparse = item_item_work(GraphRecommender(cfg, torch.device("cpu")), 100_000)
    assert "sparse path" in sparse and "≈10,000 items' columns" in sparse and "most-interacted" not in sparse
    dense = item_item_work(GraphRecommender(replace(cfg, memory_gb=64.0), torch.device("cpu")), 25_000)
    assert "dense path" in dense and "10,000 most-interacted" in dense


def test_the_batched_estimate_counts_every_distractor_above_each_positive() -> None:
    """The batch compares positives with each user's few best distractors only: it must equal counting every
    sampled distractor above each positive, one positive at a time (ties, unscorable items and a sample
    smaller than k included)."""
    from graphrec.train.colsample import _block, _cumulative_discount

    gen = torch.Generator().manual_seed(0)
    for n, share, k in ((300, 0.1, 20), (300, 0.1, 5), (12, 1.0, 20)):
        cols = torch.arange(n)
        dis = torch.rand(n, generator=gen) < share
        sample = ColumnSample(cols, dis, float(dis.float().mean()))
        s = torch.randint(0, 40, (25, n), generator=gen).float()       # many ties
        s[torch.rand(25, n, generator=gen) < 0.1] = float("-inf")
        truth = [torch.randperm(n, generator=gen)[:int(torch.randint(1, 9, (1,), generator=gen))].sort().values
                 for _ in range(25)]
        cum = _cumulative_discount(k)
        want_r = want_n = 0.0
        for j, items in enumerate(truth):
            for i in items.tolist():
                others = [o for o in items.tolist() if s[j, o] > s[j, i]]
                above = sum(1 for d in cols[dis].tolist() if s[j, d] > s[j, i] and d not in others)
                f, g = _block(torch.tensor([above / sample.share + len(others)], dtype=torch.float64),
                              1 / sample.share, cum, k)
                want_r += float(f) / items.numel()
                want_n += float(g) / float(cum[min(k, items.numel())])
        got_r, got_n = sample._batch(s, truth, k)
        assert got_r == pytest.approx(want_r, rel=1e-9) and got_n == pytest.approx(want_n, rel=1e-9)
