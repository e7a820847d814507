"""The one model registry: name → :class:`~graphrec.train.base.Recommender` class.

``graphrec train``, ``graphrec evaluate``, the CLI's choices and the Python API all read it.
"""

from __future__ import annotations

from graphrec.train.als import AlsRecommender
from graphrec.train.base import Recommender
from graphrec.train.bpr import HeteroRecommender, LightGCNRecommender, PopularityRecommender
from graphrec.train.content import ContentRecommender
from graphrec.train.linear import EaseRecommender, GraphRecommender

REGISTRY: dict[str, type[Recommender]] = {
    cls.name: cls
    for cls in (GraphRecommender, EaseRecommender, AlsRecommender, LightGCNRecommender, HeteroRecommender,
                PopularityRecommender, ContentRecommender)
}
"""Every model graphrec can train, by name."""

DEFAULT_MODEL = GraphRecommender.name
"""What ``graphrec train`` fits unless told otherwise."""

EVALUATE_DEFAULT = ("popularity", "content", "ease", "als", "lightgcn", DEFAULT_MODEL)
"""The models ``graphrec evaluate`` compares by default: the simple peers (``content``: text and entities alone)
beside the default model."""


def model_class(name: str) -> type[Recommender]:
    """The class registered as ``name``.

    Raises:
        ValueError: no model of that name (the message lists the names).
    """
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(REGISTRY)}") from None
