"""Top-K items per user by dot product, computed in torch in user batches, seen items masked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from graphrec.ranking import top_unseen


@dataclass(frozen=True)
class TopK:
    """Top-K of one batch of users.

    Attributes:
        start: index of the first user of the batch.
        items: ``[B, K]`` item indices, best first; ``-1`` where the user has fewer than K unseen items.
        scores: ``[B, K]`` dot-product scores (``-inf`` where ``items`` is ``-1``).
    """

    start: int
    items: Tensor
    scores: Tensor


def seen_pointers(exclude: Tensor, num_users: int) -> tuple[Tensor, Tensor]:
    """CSR form of ``exclude``: ``(ptr [U+1], items sorted by user)``.

    Args:
        exclude: ``[2, E]`` long tensor of (user index, item index) pairs.
        num_users: number of users U.
    """
    if exclude.numel() == 0:
        return torch.zeros(num_users + 1, dtype=torch.long), torch.empty(0, dtype=torch.long)
    users, items = exclude[0].long().cpu(), exclude[1].long().cpu()
    order = torch.argsort(users, stable=True)
    counts = torch.bincount(users, minlength=num_users)
    ptr = torch.zeros(num_users + 1, dtype=torch.long)
    ptr[1:] = torch.cumsum(counts, 0)
    return ptr, items[order]


def top_k(
    user_emb: Tensor,
    item_emb: Tensor,
    exclude: Tensor | None,
    k: int,
    batch_size: int = 1024,
    on_batch: Callable[[int], None] | None = None,
) -> Iterator[TopK]:
    """Yield the top-``k`` unseen items of every user, one batch of users at a time.

    Scores are ``user_emb @ item_emb.T`` (the models' score), computed on the tensors' device.

    Args:
        user_emb: ``[U, d]`` user embeddings.
        item_emb: ``[I, d]`` item embeddings.
        exclude: ``[2, E]`` (user, item) index pairs never to recommend (the user's interactions),
            or ``None``.
        k: items per user; capped at I.
        batch_size: users scored at once (default: 1024).
        on_batch: called with the number of users after each batch.
    """
    num_users, num_items = user_emb.size(0), item_emb.size(0)
    kk = min(k, num_items)
    ptr, seen = seen_pointers(exclude if exclude is not None else torch.empty(2, 0, dtype=torch.long), num_users)
    items_t = item_emb.float().t()
    with torch.no_grad():
        for start in range(0, num_users, batch_size):
            stop = min(start + batch_size, num_users)
            scores = user_emb[start:stop].float() @ items_t
            lo, hi = int(ptr[start]), int(ptr[stop])
            rows = torch.repeat_interleave(torch.arange(stop - start), ptr[start + 1:stop + 1] - ptr[start:stop])
            idx, best = top_unseen(scores, rows, seen[lo:hi], kk)
            yield TopK(start=start, items=idx.cpu(), scores=best.cpu())
            if on_batch:
                on_batch(stop - start)
