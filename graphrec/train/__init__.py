"""Training and evaluation: BPR loop, negative sampling, early stopping, full-ranking metrics."""

from graphrec.train.config import MODELS, TrainConfig
from graphrec.train.loop import TrainResult, fit, resolve_device
from graphrec.train.metrics import evaluate_embeddings, rank_metrics

__all__ = [
    "MODELS",
    "TrainConfig",
    "TrainResult",
    "evaluate_embeddings",
    "fit",
    "rank_metrics",
    "resolve_device",
]
