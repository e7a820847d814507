"""Full-ranking metrics, cross-checked against torchmetrics and a slow pure-Python reference."""

from __future__ import annotations

import math

import pytest
import torch
from torchmetrics.retrieval import RetrievalHitRate, RetrievalNormalizedDCG, RetrievalPrecision, RetrievalRecall

from graphrec.loaders.types import RecGraph
from graphrec.train.metrics import evaluate_embeddings, rank_metrics

NU, NI = 25, 40


def random_case(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    user_emb, item_emb = torch.randn(NU, 8, generator=g), torch.randn(NI, 8, generator=g)
    keys = torch.randperm(NU * NI, generator=g)[:300]
    pairs = torch.stack([keys // NI, keys % NI])
    train, truth = pairs[:, :200], pairs[:, 200:]
    return user_emb, item_emb, train, truth


def slow_reference(scores: torch.Tensor, truth: torch.Tensor, exclude: torch.Tensor, k: int) -> dict[str, float]:
    rel: dict[int, set[int]] = {}
    for u, i in truth.T.tolist():
        rel.setdefault(u, set()).add(i)
    seen = {(u, i) for u, i in exclude.T.tolist()}
    out = {"recall": 0.0, "ndcg": 0.0, "precision": 0.0, "hit": 0.0}
    for u, items in rel.items():
        ranked = sorted((i for i in range(scores.size(1)) if (u, i) not in seen), key=lambda i: -float(scores[u, i]))
        top = ranked[:k]
        hits = [1.0 if i in items else 0.0 for i in top]
        dcg = sum(h / math.log2(r + 2) for r, h in enumerate(hits))
        idcg = sum(1 / math.log2(r + 2) for r in range(min(len(items), k)))
        out["recall"] += sum(hits) / len(items)
        out["precision"] += sum(hits) / k
        out["hit"] += float(sum(hits) > 0)
        out["ndcg"] += dcg / idcg
    return {m: v / len(rel) for m, v in out.items()}


def torchmetrics_reference(
    scores: torch.Tensor, truth: torch.Tensor, exclude: torch.Tensor, k: int
) -> dict[str, float]:
    target = torch.zeros_like(scores, dtype=torch.bool)
    target[truth[0], truth[1]] = True
    keep = torch.ones_like(target)
    keep[exclude[0], exclude[1]] = False
    keep &= target.any(1, keepdim=True)  # only users with a held-out item
    idx = torch.arange(scores.size(0)).unsqueeze(1).expand_as(scores)
    p, t, i = scores[keep], target[keep], idx[keep]
    p = p - p.min() + 1.0  # torchmetrics' recall only counts hits with a positive score; keep the order
    metrics = {
        "recall": RetrievalRecall(top_k=k),
        "ndcg": RetrievalNormalizedDCG(top_k=k),
        "precision": RetrievalPrecision(top_k=k, adaptive_k=False),
        "hit": RetrievalHitRate(top_k=k),
    }
    return {name: float(m(p, t, indexes=i)) for name, m in metrics.items()}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [5, 20])
def test_matches_torchmetrics_and_slow_reference(seed: int, k: int) -> None:
    user_emb, item_emb, train, truth = random_case(seed)
    ours = rank_metrics(user_emb, item_emb, truth, [train], ks=[k], batch_size=7)
    scores = user_emb @ item_emb.T
    tm = torchmetrics_reference(scores, truth, train, k)
    slow = slow_reference(scores, truth, train, k)
    assert ours["users"] == float(torch.unique(truth[0]).numel())
    for m in ("recall", "ndcg", "precision", "hit"):
        assert ours[f"{m}@{k}"] == pytest.approx(tm[m], abs=1e-5), m
        assert ours[f"{m}@{k}"] == pytest.approx(slow[m], abs=1e-9), m


def test_training_positives_are_masked() -> None:
    # one user; item 0 scores highest but is a training positive, item 1 is the held-out one
    user_emb = torch.ones(1, 1)
    item_emb = torch.tensor([[3.0], [2.0], [1.0]])
    truth, train = torch.tensor([[0], [1]]), torch.tensor([[0], [0]])
    unmasked = rank_metrics(user_emb, item_emb, truth, [], ks=[1])
    masked = rank_metrics(user_emb, item_emb, truth, [train], ks=[1])
    assert unmasked["recall@1"] == 0.0 and unmasked["ndcg@1"] == 0.0
    assert masked["recall@1"] == 1.0 and masked["ndcg@1"] == 1.0 and masked["precision@1"] == 1.0


def test_ndcg_uses_ideal_over_min_of_relevant_and_k() -> None:
    # 3 relevant items, k = 2, hits at ranks 1 and 3 of the remaining ranking -> only rank 1 counts
    user_emb = torch.ones(1, 1)
    item_emb = torch.tensor([[5.0], [4.0], [3.0], [2.0]])
    truth = torch.tensor([[0, 0, 0], [0, 2, 3]])
    m = rank_metrics(user_emb, item_emb, truth, [], ks=[2])
    assert m["ndcg@2"] == pytest.approx(1.0 / (1.0 + 1.0 / math.log2(3)))
    assert m["recall@2"] == pytest.approx(1 / 3) and m["precision@2"] == pytest.approx(0.5)
    assert m["hit@2"] == 1.0


def test_evaluate_embeddings_masks_valid_when_testing_and_checks_shapes(graph_with_valid: RecGraph) -> None:
    g = graph_with_valid
    gen = torch.Generator().manual_seed(0)
    users, items = torch.randn(g.num_users, 4, generator=gen), torch.randn(g.num_items, 4, generator=gen)
    test = evaluate_embeddings(users, items, g, ks=[10], split="test")
    ref = rank_metrics(users, items, g.test, [g.train, g.valid], ks=[10])
    assert test == ref
    assert test["users"] == float(g.num_users)
    valid = evaluate_embeddings(users, items, g, ks=[10], split="valid")
    assert valid == rank_metrics(users, items, g.valid, [g.train], ks=[10])
    with pytest.raises(ValueError, match="expected"):
        evaluate_embeddings(users[:-1], items, g)
    with pytest.raises(ValueError, match="split"):
        evaluate_embeddings(users, items, g, split="train")


def test_empty_truth_gives_zeros() -> None:
    m = rank_metrics(torch.ones(2, 1), torch.ones(3, 1), torch.empty(2, 0, dtype=torch.long), ks=[20])
    assert m["recall@20"] == 0.0 and m["users"] == 0.0


# Beyond accuracy on a hand-worked case: 3 users, 5 items, top-2. User 2 has item 0 as a known positive.
TAIL_SCORES = torch.tensor([[4.0, 3, 2, 1, 0], [4.0, 1, 3, 2, 0], [4.0, 3, 1, 2, 0]])
TAIL_TRUTH = torch.tensor([[0, 1, 2], [1, 2, 2]])
TAIL_SEEN = torch.tensor([[2], [0]])


def _tail_score(users: torch.Tensor) -> torch.Tensor:
    return TAIL_SCORES[users].clone()


def test_tail_metrics_against_hand_computed_values() -> None:
    from graphrec.train.metrics import rank_scored

    # top-2: u0 {0, 1}, u1 {0, 2}, u2 {1, 3} (0 is seen) → counts per item [2, 2, 1, 1, 0]
    m = rank_scored(_tail_score, 5, TAIL_TRUTH, [TAIL_SEEN], ks=(2,), tail=True,
                    popularity=torch.tensor([10, 5, 5, 1, 0]))
    assert m["recall@2"] == pytest.approx(2 / 3)
    assert m["coverage@2"] == pytest.approx(4 / 5)
    # sorted counts [0, 1, 1, 2, 2]: Σ (2i − n − 1)·x_i = −2 + 0 + 4 + 8 = 10, over n·Σx = 5·6
    assert m["gini@2"] == pytest.approx(10 / 30)
    # percentiles (less + (equal − 1)/2) / (n − 1): item 0 → 1, items 1, 2 → 0.625, item 3 → 0.25, item 4 → 0
    assert m["pop@2"] == pytest.approx((2 * 1 + 2 * 0.625 + 0.625 + 0.25) / 6)
    assert "coverage@2" not in rank_scored(_tail_score, 5, TAIL_TRUTH, [TAIL_SEEN], ks=(2,))   # opt-in


def test_gini_and_percentile_extremes() -> None:
    from graphrec.train.metrics import gini, popularity_percentile

    assert gini(torch.tensor([3, 3, 3, 3])) == 0.0
    assert gini(torch.tensor([0, 0, 0, 8])) == pytest.approx(3 / 4)
    assert popularity_percentile(torch.tensor([7, 7, 7])).tolist() == [0.5, 0.5, 0.5]


def test_ranking_restricted_to_a_catalogue_and_split_by_groups() -> None:
    from graphrec.train.metrics import rank_groups, rank_scored

    # among items {2, 3, 4} only: every user's top-2 is {2, 3}; user 0's test item 1 is outside it
    m = rank_scored(_tail_score, 5, TAIL_TRUTH, [TAIL_SEEN], ks=(2,), tail=True, items=torch.tensor([2, 3, 4]))
    assert m["recall@2"] == pytest.approx(2 / 3) and m["hit@2"] == pytest.approx(2 / 3)
    assert m["coverage@2"] == pytest.approx(2 / 3)
    by = rank_groups(_tail_score, 5, TAIL_TRUTH, [TAIL_SEEN], ks=(2,), tail=True,
                     groups={"a": torch.tensor([0]), "b": torch.tensor([1, 2])})
    assert by["a"]["users"] == 1 and by["a"]["recall@2"] == 1.0 and by["a"]["coverage@2"] == pytest.approx(2 / 5)
    assert by["b"]["users"] == 2 and by["b"]["recall@2"] == 0.5 and by["b"]["coverage@2"] == pytest.approx(4 / 5)
    assert by["all"] == rank_scored(_tail_score, 5, TAIL_TRUTH, [TAIL_SEEN], ks=(2,), tail=True)
