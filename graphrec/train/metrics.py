"""Full-ranking top-K evaluation: the protocol of the KGAT, KGIN and LightGCN papers.

Every user with at least one held-out item ranks *all* items by ``user_emb @ item_emb.T``, with the
user's known positives (training, and validation when testing) masked out. Recall@K divides the
hits by the number of held-out items, Precision@K by K, HitRate@K is 1 if anything was hit, and
NDCG@K uses binary relevance with the ideal DCG over ``min(|held-out|, K)`` positions. Every figure
is the mean over those users.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch
from torch import Tensor

from graphrec.loaders.types import RecGraph
from graphrec.ranking import top_unseen

METRICS = ("recall", "ndcg", "precision", "hit")


def _by_position(pairs: Tensor, users: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Pairs whose user is in sorted ``users``: (position of the user, item), sorted by position."""
    u, i = pairs[0].long(), pairs[1].long()
    pos = torch.searchsorted(users, u).clamp(max=max(users.numel() - 1, 0))
    keep = users[pos] == u if users.numel() else torch.zeros_like(u, dtype=torch.bool)
    pos, i = pos[keep], i[keep]
    order = torch.argsort(pos, stable=True)
    pos, i = pos[order], i[order]
    bounds = torch.searchsorted(pos, torch.arange(users.numel() + 1))
    return pos, i, bounds


@torch.no_grad()
def rank_metrics(
    user_emb: Tensor,
    item_emb: Tensor,
    truth: Tensor,
    exclude: Iterable[Tensor] = (),
    ks: Sequence[int] = (20,),
    batch_size: int = 1024,
) -> dict[str, float]:
    """Recall, NDCG, Precision and HitRate at every ``k`` in ``ks``, ranking all items by ``user_emb @ item_emb.T``.

    Computed in user batches on ``user_emb``'s device; see :func:`rank_scored` for the arguments.
    """
    device = user_emb.device
    items_t = item_emb.to(device).float().T

    def score(users: Tensor) -> Tensor:
        return (user_emb[users.to(device)].float() @ items_t).float()

    return rank_scored(score, item_emb.size(0), truth, exclude, ks, batch_size)


@torch.no_grad()
def rank_scored(
    score: Callable[[Tensor], Tensor],
    num_items: int,
    truth: Tensor,
    exclude: Iterable[Tensor] = (),
    ks: Sequence[int] = (20,),
    batch_size: int = 1024,
) -> dict[str, float]:
    """Recall, NDCG, Precision and HitRate at every ``k`` in ``ks`` for any scorer, ranking all items.

    Args:
        score: ``score(users)`` → ``[len(users), num_items]`` scores (any device).
        num_items: number of items.
        truth: ``[2, E]`` held-out (user, item) pairs to find.
        exclude: ``[2, E]`` pair tensors masked out of each user's ranking (known positives).
        ks: cut-offs (default: ``(20,)``).
        batch_size: users scored at once (default: ``1024``).

    Returns:
        ``{"recall@20": …, "ndcg@20": …, "precision@20": …, "hit@20": …, …}`` plus ``"users"``,
        the number of users evaluated. All zero when ``truth`` is empty.
    """
    users = torch.unique(truth[0].long().cpu())
    sums = {f"{m}@{k}": 0.0 for k in ks for m in METRICS}
    if users.numel() == 0 or num_items == 0:
        return {**sums, "users": 0.0}
    t_pos, t_item, t_bounds = _by_position(truth.cpu(), users)
    excl = [_by_position(e.cpu(), users) for e in exclude]
    kmax = min(max(ks), num_items)
    discount = 1.0 / torch.log2(torch.arange(2, kmax + 2, dtype=torch.float64))
    ideal = torch.cat([torch.zeros(1, dtype=torch.float64), discount.cumsum(0)])
    for s in range(0, users.numel(), batch_size):
        e = min(s + batch_size, users.numel())
        scores = score(users[s:e]).float()
        device = scores.device
        rows = [pos[int(bounds[s]):int(bounds[e])] - s for pos, _, bounds in excl]
        cols = [item[int(bounds[s]):int(bounds[e])] for _, item, bounds in excl]
        top, _ = top_unseen(scores, torch.cat(rows) if rows else torch.empty(0, dtype=torch.long),
                            torch.cat(cols) if cols else torch.empty(0, dtype=torch.long), kmax, pad=False)
        rel = torch.zeros(e - s, num_items, dtype=torch.bool, device=device)
        a, b = int(t_bounds[s]), int(t_bounds[e])
        rel[(t_pos[a:b] - s).to(device), t_item[a:b].to(device)] = True
        n_rel = rel.sum(1).double().cpu()
        hits = rel.gather(1, top).double().cpu()
        for k in ks:
            kk = min(k, kmax)
            h = hits[:, :kk]
            n_hit = h.sum(1)
            idcg = ideal[n_rel.clamp(max=kk).long()]
            sums[f"recall@{k}"] += float((n_hit / n_rel).sum())
            sums[f"precision@{k}"] += float((n_hit / k).sum())
            sums[f"hit@{k}"] += float((n_hit > 0).double().sum())
            sums[f"ndcg@{k}"] += float(((h * discount[:kk]).sum(1) / idcg).sum())
    n = float(users.numel())
    return {**{key: v / n for key, v in sums.items()}, "users": n}


def evaluate_embeddings(
    user_emb: Tensor,
    item_emb: Tensor,
    graph: RecGraph,
    ks: Sequence[int] = (20, 10),
    split: str = "test",
    batch_size: int = 1024,
) -> dict[str, float]:
    """Score any user/item embedding pair (a trained model, a GDS FastRP run…) on a split of ``graph``.

    Scores are ``user_emb @ item_emb.T``; training positives are masked, and validation positives
    too when ``split="test"``.

    Args:
        user_emb: ``[graph.num_users, d]`` user embeddings (any device).
        item_emb: ``[graph.num_items, d]`` item embeddings.
        graph: the graph whose ``train``/``valid``/``test`` pairs define the protocol.
        ks: cut-offs (default: ``(20, 10)``).
        split: ``"test"`` or ``"valid"`` (default: ``"test"``).
        batch_size: users scored at once (default: ``1024``).

    Returns:
        The dictionary of :func:`rank_metrics`.

    Raises:
        ValueError: on an unknown split or embeddings whose shapes do not fit the graph.
    """
    if split not in ("test", "valid"):
        raise ValueError(f"split must be 'test' or 'valid', not {split!r}")
    if user_emb.dim() != 2 or item_emb.dim() != 2 or user_emb.size(1) != item_emb.size(1):
        raise ValueError(
            f"embeddings must be 2-d with equal widths, got {tuple(user_emb.shape)} and {tuple(item_emb.shape)}"
        )
    if user_emb.size(0) != graph.num_users or item_emb.size(0) != graph.num_items:
        raise ValueError(
            f"expected {graph.num_users} user and {graph.num_items} item rows, "
            f"got {user_emb.size(0)} and {item_emb.size(0)}"
        )
    truth = graph.test if split == "test" else graph.valid
    exclude = [graph.train, graph.valid] if split == "test" else [graph.train]
    return rank_metrics(user_emb, item_emb, truth, exclude, ks, batch_size)
