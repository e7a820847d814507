"""What every model of the registry implements: choose on validation, refit on everything, score users.

A :class:`Recommender` is built from a :class:`~graphrec.train.config.TrainConfig`. :meth:`select` picks its
hyper-parameters (and, for trained models, its epoch count) on a validation carve; :meth:`refit` fits the
chosen setting on the pairs it is given (train + valid for ``evaluate``, every interaction for deployment)
and returns a :class:`Fitted`: a scorer for full ranking plus the vectors that write-back publishes.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor

from graphrec.loaders.types import RecGraph
from graphrec.train.config import TrainConfig

if TYPE_CHECKING:
    from graphrec.train.models import BoundModel
    from graphrec.train.rerank import CoverageRerank

Scorer = Callable[[Tensor], Tensor]
"""``scorer(users)`` → ``[len(users), num_items]`` float32 scores of those users (higher is better)."""
TopK = Callable[[Tensor, tuple[Tensor, Tensor], int], tuple[Tensor, Tensor]]
"""``top(users, (position in users, item) pairs to leave out, k)`` → ``([b, k] items (-1 pads), [b, k] scores)``."""


@dataclass
class Selection:
    """What :meth:`Recommender.select` chose.

    Attributes:
        params: the chosen hyper-parameters (JSON-ready), passed back to :meth:`Recommender.refit`.
        valid: validation metrics of the chosen setting.
        info: anything worth reporting (the search, epochs, history).
    """

    params: dict[str, Any] = field(default_factory=dict)
    valid: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Fitted:
    """A model fitted on its final pairs.

    Attributes:
        scorer: exact scores for full ranking.
        user_emb: ``[U, d]`` user vectors.
        item_emb: ``[I, d]`` item vectors.
        exact: whether ``user_emb @ item_emb.T`` *is* the score (else the vectors approximate it and
            write-back takes the top-K from the scorer).
        entity_emb: vectors of other node types.
        item_fold: ``[I, d]`` item query factors (``user_emb = X @ item_fold``) of an item–item model, so a
            new user's vector is folded in from the items they have (see ``Artefact.item_fold``).
        top: the write-back top-K without scoring every item (a catalogue too large for ``users × items``
            scores), or ``None`` to take it from ``scorer``.
        rerank: how the lists of all users are re-ranked together for catalogue coverage, in evaluation and
            in the published top-K (:mod:`graphrec.train.rerank`), or ``None``.
        info: anything worth reporting.
    """

    scorer: Scorer
    user_emb: Tensor
    item_emb: Tensor
    exact: bool = True
    entity_emb: dict[str, Tensor] = field(default_factory=dict)
    item_fold: Tensor | None = None
    top: TopK | None = None
    rerank: CoverageRerank | None = None
    info: dict[str, Any] = field(default_factory=dict)


def dot_scorer(user_emb: Tensor, item_emb: Tensor) -> Scorer:
    """The scorer of a factor model: ``user_emb[users] @ item_emb.T``."""
    items_t = item_emb.float().T.contiguous()

    def score(users: Tensor) -> Tensor:
        return user_emb[users.to(user_emb.device)].float() @ items_t

    return score


COMMON_PARAMS = ("model", "seed", "device", "ks", "out_dir", "valid_fraction", "eval_batch_size", "top_k",
                 "memory_gb", "valid_users")
"""The :class:`TrainConfig` fields every model reads (``fit``'s own settings); :attr:`Recommender.params` lists
the rest, the ones a model reads for itself."""

class Recommender(ABC):
    """One model of the registry: the class declares everything that is specific to the model, and
    ``fit``, ``evaluate``, the CLI, publish and refresh read the declarations (docs/DESIGN.md §5)."""

    name: ClassVar[str]
    """Registry name (``--model``, ``Artefact.model``, the ``ModelRun``'s model)."""
    summary: ClassVar[str]
    """One line shown by the CLI."""
    uses_graph: ClassVar[bool] = False
    """Whether it learns from more than the user–item interaction matrix (KG, side behaviours, text)."""
    params: ClassVar[tuple[str, ...]] = ()
    """The :class:`TrainConfig` fields it reads besides :data:`COMMON_PARAMS`."""
    ablations: ClassVar[dict[str, dict[str, Any]]] = {}
    """``graphrec evaluate --ablate`` rows: label → :class:`TrainConfig` overrides (the model without a part)."""
    fold: ClassVar[str] = "ridge"
    """How ``graphrec refresh`` folds a new user into its runs, recorded on the run: a kind of
    ``graphrec.writeback.runs.FOLD_KINDS`` (``sum`` of the item query factors iff it publishes ``item_fold``;
    ``ridge``: a ridge solve on the item vectors). Train and write-back never import each other: the contract
    test (tests/train/test_registry_contract.py) checks the kind."""
    deterministic: ClassVar[bool] = False
    """Whether a fit depends on no seed (``evaluate --repeats`` then runs it once)."""
    bound: ClassVar[type[BoundModel] | None] = None
    """The :class:`~graphrec.train.models.BoundModel` that builds its module for the BPR loop
    (:func:`graphrec.train.models.bind`); ``None`` for models not trained by the loop."""

    def __init__(self, cfg: TrainConfig, device: torch.device) -> None:
        self.cfg = cfg
        self.device = device
        self._budget: int | None = None

    def budget(self) -> int:
        """The memory bound in bytes (:func:`memory_budget`), read once per model instance, i.e. per fit: the
        memory available moves while a fit runs, and the selection and the refit must take the same path."""
        if self._budget is None:
            self._budget = memory_budget(self.cfg)
        return self._budget

    def head_selection(self, num_items: int) -> bool:
        """Whether :func:`~graphrec.train.fit` should let this model choose on the head of a catalogue of
        ``num_items`` items (:mod:`graphrec.train.head`): the dense item–item models above
        ``TrainConfig.select_items``, where each selection trial is an ``O(items³)`` solve (default: no)."""
        return False

    def score_batch(self, num_items: int) -> int:
        """Users scored at once in full ranking: ``eval_batch_size``, fewer where ``[users, items]`` float32
        scores (with a few temporaries of that size) would not fit a quarter of the memory bound."""
        fit_users = self.budget() // (16 * 4 * max(1, num_items))
        return int(max(16, min(self.cfg.eval_batch_size, fit_users)))

    @classmethod
    def irrelevant(cls, given: Iterable[str]) -> list[str]:
        """The :class:`TrainConfig` fields among ``given`` that this model does not read."""
        return [f for f in given if f not in COMMON_PARAMS and f not in cls.params]

    def estimate(self, graph: RecGraph) -> str:
        """The work a fit on ``graph`` is about to do, for the line ``graphrec evaluate`` prints first."""
        return "one fit, no selection"

    def select(self, graph: RecGraph, train: Tensor, valid: Tensor, progress: bool) -> Selection:
        """Choose hyper-parameters on ``valid`` with a model fitted on ``train`` (default: nothing to choose)."""
        return Selection()

    @abstractmethod
    def refit(self, graph: RecGraph, pairs: Tensor, chosen: Selection, progress: bool) -> Fitted:
        """Fit the chosen setting on ``pairs`` (``[2, E]`` distinct user–item interactions)."""


def available_memory() -> int:
    """Bytes the kernel can give this process now without swapping (``MemAvailable``: free memory plus the
    page cache it can drop), else the free pages, else 8 GiB."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def memory_budget(cfg: TrainConfig) -> int:
    """The fit's memory bound in bytes: ``memory_gb``, else half the memory available now."""
    return int(cfg.memory_gb * (1 << 30)) if cfg.memory_gb else available_memory() // 2
