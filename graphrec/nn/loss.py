"""Pairwise ranking losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def bpr_loss(pos_score: Tensor, neg_score: Tensor, keep: Tensor | None = None) -> Tensor:
    """Bayesian personalised ranking loss (Rendle et al., UAI 2009): ``-mean(log σ(pos - neg))``.

    Args:
        pos_score: ``[B]`` scores of observed (user, item) pairs.
        neg_score: ``[B]`` or ``[B, N]`` scores of sampled negatives for the same users.
        keep: boolean mask shaped like ``neg_score``: the negatives that count (default: all), e.g. not the
            draws that hit a positive of the user.

    Returns:
        A scalar tensor (``0`` when ``keep`` keeps nothing).
    """
    if neg_score.dim() == 2:
        pos_score = pos_score.unsqueeze(1)
    loss = F.softplus(neg_score - pos_score)
    if keep is None:
        return loss.mean()
    return (loss * keep).sum() / keep.sum().clamp(min=1)


def l2_penalty(*embeddings: Tensor) -> Tensor:
    """``sum ||e||² / 2`` over the given rows, divided by the batch size (LightGCN's ``reg_loss``)."""
    batch = max(embeddings[0].size(0), 1)
    total = torch.zeros((), device=embeddings[0].device)
    for e in embeddings:
        total = total + e.float().pow(2).sum()
    return total / (2 * batch)
