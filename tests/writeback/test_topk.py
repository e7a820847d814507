"""Top-K in torch: equals brute force, never returns seen items, pads with -1 when items run out."""

from __future__ import annotations

import torch

from graphrec.writeback.topk import seen_pointers, top_k


def _brute(user_emb: torch.Tensor, item_emb: torch.Tensor, exclude: torch.Tensor, k: int) -> list[list[int]]:
    scores = user_emb @ item_emb.t()
    scores[exclude[0], exclude[1]] = float("-inf")
    return torch.topk(scores, k).indices.tolist()


def test_matches_brute_force_across_batches() -> None:
    g = torch.Generator().manual_seed(0)
    user_emb, item_emb = torch.randn(37, 8, generator=g), torch.randn(50, 8, generator=g)
    exclude = torch.stack([torch.randint(0, 37, (300,), generator=g), torch.randint(0, 50, (300,), generator=g)])
    batches = list(top_k(user_emb, item_emb, exclude, k=7, batch_size=10))
    assert [b.start for b in batches] == [0, 10, 20, 30]
    got = torch.cat([b.items for b in batches]).tolist()
    assert got == _brute(user_emb, item_emb, exclude, 7)
    seen = {(int(u), int(i)) for u, i in exclude.t()}
    assert not any((u, i) in seen for u, row in enumerate(got) for i in row)


def test_users_with_few_unseen_items_get_minus_one() -> None:
    user_emb, item_emb = torch.ones(2, 4), torch.randn(3, 4)
    exclude = torch.tensor([[0, 0], [0, 1]])
    (batch,) = top_k(user_emb, item_emb, exclude, k=5)
    assert batch.items.shape == (2, 3)
    assert batch.items[0].tolist()[1:] == [-1, -1] and batch.items[0, 0] == 2
    assert sorted(batch.items[1].tolist()) == [0, 1, 2]
    assert torch.isinf(batch.scores[0, 1:]).all()


def test_seen_pointers_is_csr() -> None:
    ptr, items = seen_pointers(torch.tensor([[2, 0, 2, 1], [5, 6, 7, 8]]), 4)
    assert ptr.tolist() == [0, 1, 2, 4, 4]
    assert items.tolist() == [6, 8, 5, 7]
