"""Negative sampling and validation carving."""

from __future__ import annotations

import torch

from graphrec.train import TrainConfig, fit
from graphrec.train.sampling import NegativeSampler, carve_validation, pair_keys, sample_users

from .conftest import tiny_graph


def test_negatives_avoid_positives_and_are_seeded() -> None:
    num_items = 10
    users = torch.arange(6).repeat_interleave(8)
    items = torch.cat([torch.randperm(num_items, generator=torch.Generator().manual_seed(u))[:8] for u in range(6)])
    positives = torch.stack([users, items])
    sampler = NegativeSampler(positives, num_items)
    batch = torch.arange(6).repeat(50)
    neg = sampler.sample(batch, 3, torch.Generator().manual_seed(7))
    assert neg.shape == (300, 3)
    assert not sampler.is_positive(batch.unsqueeze(1).expand(-1, 3), neg).any()
    keys = set(pair_keys(positives, num_items).tolist())
    assert all((int(u) * num_items + int(i)) not in keys for u, row in zip(batch, neg, strict=True) for i in row)
    again = sampler.sample(batch, 3, torch.Generator().manual_seed(7))
    assert torch.equal(neg, again)


def test_carve_validation_is_a_seeded_per_user_partition() -> None:
    users = torch.tensor([0] * 10 + [1] * 1 + [2] * 4)
    items = torch.cat([torch.arange(10), torch.arange(1), torch.arange(4)])
    train = torch.stack([users, items])
    kept, valid = carve_validation(train, 3, 0.2, seed=3)
    assert kept.size(1) + valid.size(1) == train.size(1)
    all_keys = set(pair_keys(train, 10).tolist())
    k_keys, v_keys = set(pair_keys(kept, 10).tolist()), set(pair_keys(valid, 10).tolist())
    assert k_keys | v_keys == all_keys and not (k_keys & v_keys)
    assert torch.bincount(valid[0], minlength=3).tolist() == [2, 0, 1]
    kept2, valid2 = carve_validation(train, 3, 0.2, seed=3)
    assert torch.equal(kept, kept2) and torch.equal(valid, valid2)
    _, valid3 = carve_validation(train, 3, 0.2, seed=4)
    assert not torch.equal(valid, valid3)


def test_validation_users_are_sampled_whole_and_seeded() -> None:
    pairs = torch.tensor([[u for u in range(50) for _ in range(3)], list(range(150))])
    few = sample_users(pairs, 10, seed=1)
    users = torch.unique(few[0])
    assert users.numel() == 10 and few.size(1) == 30      # every pair of a sampled user, none of the others
    assert torch.equal(few, sample_users(pairs, 10, seed=1))
    assert not torch.equal(few, sample_users(pairs, 10, seed=2))
    assert sample_users(pairs, 50, seed=1) is pairs


def test_fit_validates_on_at_most_valid_users() -> None:
    g = tiny_graph(valid=True)
    art = fit(g, TrainConfig(model="ease", out_dir=None, valid_users=7), progress=False)
    assert art.metrics["valid"]["users"] == 7
    assert art.train_pairs == g.train.size(1) + g.valid.size(1)     # the refit still learns every valid pair
