"""Training and evaluation: the model registry, the select → refit protocol, full-ranking metrics."""

from graphrec.train.base import Fitted, Recommender, Selection
from graphrec.train.config import TrainConfig
from graphrec.train.fit import fit
from graphrec.train.loop import TrainResult, resolve_device, train_bpr
from graphrec.train.metrics import evaluate_embeddings, rank_metrics, rank_scored
from graphrec.train.registry import DEFAULT_MODEL, EVALUATE_DEFAULT, REGISTRY, model_class

__all__ = [
    "DEFAULT_MODEL",
    "EVALUATE_DEFAULT",
    "REGISTRY",
    "Fitted",
    "Recommender",
    "Selection",
    "TrainConfig",
    "TrainResult",
    "evaluate_embeddings",
    "fit",
    "model_class",
    "rank_metrics",
    "rank_scored",
    "resolve_device",
    "train_bpr",
]
