"""Most-popular baseline expressed as embeddings."""

from __future__ import annotations

import torch
from torch import Tensor


class Popularity(torch.nn.Module):
    r"""Scores every item by its number of training interactions, the same for every user.

    It is written as a one-dimensional factorisation so that it is stored and served like any
    other model: ``user_emb[u] = [1]`` and ``item_emb[i] = [count(i) / max count]``, hence
    ``score(u, i) = user_emb[u] · item_emb[i]``. It has no trainable parameters.

    Args:
        num_users: number of users.
        num_items: number of items.
    """

    counts: Tensor

    def __init__(self, num_users: int, num_items: int) -> None:
        super().__init__()
        self.num_users = num_users
        self.num_items = num_items
        self.register_buffer("counts", torch.zeros(num_items))

    def reset_parameters(self) -> None:
        """Forget the counts."""
        self.counts.zero_()

    def fit(self, item_index: Tensor) -> Popularity:
        """Count interactions per item.

        Args:
            item_index: ``[E]`` item index of every training interaction.

        Returns:
            ``self``.
        """
        self.counts.copy_(torch.bincount(item_index.long(), minlength=self.num_items).float())
        return self

    def forward(self) -> tuple[Tensor, Tensor]:
        """Returns ``([num_users, 1] ones, [num_items, 1] normalised counts)``."""
        item = (self.counts / self.counts.max().clamp(min=1)).unsqueeze(1)
        return torch.ones(self.num_users, 1, device=item.device), item

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.num_users}, {self.num_items})"
