"""The one "mask what the user has, take the top K" step, shared by evaluation, fitting and write-back."""

from __future__ import annotations

import torch
from torch import Tensor


def top_unseen(scores: Tensor, rows: Tensor, cols: Tensor, k: int, pad: bool = True) -> tuple[Tensor, Tensor]:
    """Set ``scores[rows, cols]`` to ``-inf`` (in place) and return the top-``k`` per row, best first.

    Args:
        scores: ``[B, I]`` float scores of a batch of users.
        rows: row (position in the batch) of every pair to mask.
        cols: item of every pair to mask.
        k: items per row; capped at ``I``.
        pad: report masked picks (rows with fewer than ``k`` unseen items) as item ``-1`` (default: ``True``);
            ``False`` keeps the raw indices (what a metric gathers with).

    Returns:
        ``(items [B, k], scores [B, k])``.
    """
    if rows.numel():
        scores[rows.to(scores.device), cols.to(scores.device)] = float("-inf")
    best, idx = torch.topk(scores, min(k, scores.size(1)), dim=1)
    if pad:
        idx = torch.where(torch.isinf(best), torch.full_like(idx, -1), idx)
    return idx, best
