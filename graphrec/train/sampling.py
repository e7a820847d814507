"""Negative sampling and validation carving, vectorised and seeded."""

from __future__ import annotations

import torch
from torch import Tensor


def pair_keys(pairs: Tensor, num_items: int) -> Tensor:
    """Sorted unique ``user * num_items + item`` keys of a ``[2, E]`` pair tensor."""
    keys: Tensor = torch.unique(pairs[0].long() * num_items + pairs[1].long())
    return keys


class NegativeSampler:
    """Uniform item negatives that are not among the user's training positives.

    Draws uniformly from all items, then redraws, in one vectorised step per round, only the
    draws that hit a positive (membership by binary search on sorted pair keys). Users who have
    interacted with nearly every item may keep a positive after ``max_rounds`` rounds.

    Args:
        positives: ``[2, E]`` (user, item) pairs to avoid.
        num_items: number of items.
        max_rounds: redraw rounds before giving up (default: ``100``).
    """

    def __init__(self, positives: Tensor, num_items: int, max_rounds: int = 100) -> None:
        self.num_items = num_items
        self.keys = pair_keys(positives.cpu(), num_items)
        self.max_rounds = max_rounds

    def is_positive(self, users: Tensor, items: Tensor) -> Tensor:
        """Boolean mask, same shape as ``items``: is ``(users, items)`` a positive pair?"""
        if self.keys.numel() == 0:
            return torch.zeros_like(items, dtype=torch.bool)
        q = users.long() * self.num_items + items.long()
        pos = torch.searchsorted(self.keys, q).clamp(max=self.keys.numel() - 1)
        return self.keys[pos] == q

    def sample(self, users: Tensor, num: int, generator: torch.Generator | None = None) -> Tensor:
        """``[len(users), num]`` negative item indices (CPU).

        Args:
            users: ``[B]`` user indices (CPU).
            num: negatives per user.
            generator: random generator, for reproducible draws.
        """
        u = users.cpu().long().unsqueeze(1).expand(-1, num)
        items = torch.randint(self.num_items, u.shape, generator=generator)
        for _ in range(self.max_rounds):
            bad = self.is_positive(u, items)
            n_bad = int(bad.sum())
            if n_bad == 0:
                break
            items[bad] = torch.randint(self.num_items, (n_bad,), generator=generator)
        return items


def carve_validation(train: Tensor, num_users: int, fraction: float, seed: int) -> tuple[Tensor, Tensor]:
    """Hold out a seeded random ``fraction`` of each user's training pairs for validation.

    Users with fewer than two training pairs keep them all; every other user keeps at least one.

    Args:
        train: ``[2, E]`` (user, item) training pairs.
        num_users: number of users.
        fraction: share of each user's pairs to hold out.
        seed: random seed.

    Returns:
        ``(train, valid)`` pair tensors.
    """
    g = torch.Generator().manual_seed(seed)
    train = train.cpu().long()
    perm = torch.randperm(train.size(1), generator=g)
    users = train[0, perm]
    order = torch.sort(users, stable=True).indices
    perm, users = perm[order], users[order]
    count = torch.bincount(users, minlength=num_users)
    start = torch.cumsum(count, 0) - count
    rank = torch.arange(users.numel()) - start[users]
    n_hold = torch.where(count >= 2, (count.float() * fraction).round().long().clamp(min=1), 0)
    n_hold = torch.minimum(n_hold, (count - 1).clamp(min=0))
    hold = rank < n_hold[users]
    valid_idx, train_idx = perm[hold].sort().values, perm[~hold].sort().values
    return train[:, train_idx], train[:, valid_idx]


def sample_users(pairs: Tensor, max_users: int, seed: int) -> Tensor:
    """The pairs of at most ``max_users`` users of ``pairs``, a seeded sample (all of them when fewer).

    Validation ranks every item for every validation user once per trial; above a few tens of thousands of
    users a sample tells the settings apart as well, at a fraction of the cost.
    """
    users = torch.unique(pairs[0])
    if users.numel() <= max_users:
        return pairs
    g = torch.Generator().manual_seed(seed)
    keep = torch.zeros(int(users.max()) + 1, dtype=torch.bool)
    keep[users[torch.randperm(users.numel(), generator=g)[:max_users]]] = True
    return pairs[:, keep[pairs[0]]]
