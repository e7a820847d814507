"""The one thing a fit produces and write-back takes whole: :class:`Artefact`, saved and loaded as one file.

It sits between training and write-back (docs/DESIGN.md §1, §5): ``graphrec.train`` builds it, ``graphrec.writeback``
publishes it, and neither imports the other. It holds only tensors, id maps and JSON-ready metadata, so
``graphrec publish PATH`` can publish a saved artefact without the model code or the graph.
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from graphrec.artefact_check import check_fields
from graphrec.errors import InputError
from graphrec.types import IdMap, NodeType

FORMAT = "graphrec-artefact/1"


@dataclass
class Artefact:
    """A fitted model's output: everything write-back needs, nothing it does not.

    Attributes:
        model: registry name of the model, e.g. ``"ease"``.
        user_type: node type (label) of users.
        item_type: node type (label) of items.
        ids: business id of every node by tensor index, per node type.
        user_emb: ``[U, d]`` user vectors; ``user_emb @ item_emb.T`` ranks items (exactly for factor
            models; a rank-``d`` factorisation of the score matrix for item–item models).
        item_emb: ``[I, d]`` item vectors (what the vector index and ``similar`` use).
        entity_emb: vectors of other node types the model learns (e.g. ``{"Entity": …}``).
        top_items: ``[U, K]`` item indices best first (``-1`` pads), for models whose exact scores are not a
            dot product of the vectors (item–item models); ``None`` = rank by the vectors.
        top_scores: ``[U, K]`` the exact scores of ``top_items``.
        item_fold: ``[I, d]`` item query factors of an item–item model: a user's vector is the sum of the rows
            of the items the user has (``user_emb = X @ item_fold``), which is how ``graphrec refresh`` folds in
            a user the model never saw; ``None`` for factor models (their user vectors are solved from the
            item vectors instead).
        exclude: ``[2, E]`` (user, item) pairs never recommended (what the users already have).
        params: hyper-parameters as chosen (JSON-ready).
        metrics: ``{"valid": {...}, "test": {...}}``.
        train_pairs: distinct (user, item) interactions the final model learnt from.
        info: anything else worth keeping (epochs, timings, chosen λ…), JSON-ready.
    """

    model: str
    user_type: NodeType
    item_type: NodeType
    ids: dict[NodeType, IdMap]
    user_emb: Tensor
    item_emb: Tensor
    exclude: Tensor
    train_pairs: int
    entity_emb: dict[NodeType, Tensor] = field(default_factory=dict)
    top_items: Tensor | None = None
    top_scores: Tensor | None = None
    item_fold: Tensor | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, t in (("user_emb", self.user_emb), ("item_emb", self.item_emb)):
            rows = len(self.ids.get(self.user_type if name == "user_emb" else self.item_type, []))
            if t.dim() != 2 or t.size(0) != rows:
                raise ValueError(f"{name} must be [{rows}, d], got {tuple(t.shape)}")
        if self.user_emb.size(1) != self.item_emb.size(1):
            raise ValueError(f"user_emb and item_emb widths differ: {self.user_emb.size(1)} vs {self.item_emb.size(1)}")
        if (self.top_items is None) != (self.top_scores is None):
            raise ValueError("top_items and top_scores come together")
        if self.top_items is not None and self.top_scores is not None:
            if self.top_items.shape != self.top_scores.shape or self.top_items.size(0) != self.user_emb.size(0):
                raise ValueError(f"top_items {tuple(self.top_items.shape)} and top_scores "
                                 f"{tuple(self.top_scores.shape)} must both be [{self.user_emb.size(0)}, K]")
        if self.item_fold is not None and self.item_fold.shape != self.item_emb.shape:
            raise ValueError(f"item_fold must be {tuple(self.item_emb.shape)} like item_emb, "
                             f"got {tuple(self.item_fold.shape)}")

    @property
    def dim(self) -> int:
        """Width of the published vectors."""
        return int(self.item_emb.size(1))

    def save(self, path: str | Path) -> Path:
        """Write the artefact to ``path`` (one ``torch.save`` file of tensors, lists and JSON), mode 0600."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "model": self.model, "user_type": self.user_type, "item_type": self.item_type,
                "train_pairs": self.train_pairs, "params": self.params, "metrics": self.metrics, "info": self.info}
        # node types as plain str: a mapped graph's are schema-checked str subclasses, which the
        # weights_only load refuses (and which a file must not vouch for: publish checks them again)
        blob = {"meta": json.dumps(meta, default=str),
                "ids": {str(t): [str(x) for x in v] for t, v in self.ids.items()},
                "user_emb": self.user_emb, "item_emb": self.item_emb, "exclude": self.exclude,
                "entity_emb": {str(t): v for t, v in self.entity_emb.items()},
                "top_items": self.top_items, "top_scores": self.top_scores, "item_fold": self.item_fold}
        tmp = path.with_name(path.name + ".partial")
        # 0600: it holds every user's interactions (the exclusion pairs) and the user vectors
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)   # a leftover .partial keeps its mode through O_CREAT
            torch.save(blob, fh)
        tmp.replace(path)   # never a half-written artefact under the real name
        return path

    def as_fields(self) -> dict[str, Any]:
        """The artefact's fields by name (what :func:`graphrec.artefact_check.check_fields` checks)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def check(self, where: str = "artefact") -> None:
        """Validate every field (types, shapes, finite values, index ranges, unique items per row, vector
        width within Neo4j's limit): :func:`graphrec.artefact_check.check_fields`.

        Raises:
            InputError: ``WHERE: field: problem`` for the first wrong field.
        """
        check_fields(self.as_fields(), where)

    @classmethod
    def load(cls, path: str | Path) -> Artefact:
        """Read an artefact written by :meth:`save`, and :meth:`check` it whole.

        Raises:
            InputError: the file is missing, a directory, not an artefact, of another format version, or
                any of its fields is wrong (one line, nothing else done).
        """
        path = Path(path)
        if path.is_dir():
            raise InputError(path, None, "artefact", "is a directory; give the artefact file "
                                                     "(`graphrec train --save PATH` writes one)")
        blob, meta = _read(path)
        if meta.get("format") != FORMAT:
            raise InputError(path, None, "format", f"expected {FORMAT}, got {str(meta.get('format'))[:80]!r}")
        ids = blob.get("ids")
        values: dict[str, Any] = {
            "model": meta.get("model"), "user_type": meta.get("user_type"), "item_type": meta.get("item_type"),
            "ids": {k: list(v) for k, v in ids.items()} if isinstance(ids, dict) and all(
                isinstance(v, list | tuple) for v in ids.values()) else ids,
            "user_emb": blob.get("user_emb"), "item_emb": blob.get("item_emb"), "exclude": blob.get("exclude"),
            "train_pairs": meta.get("train_pairs"), "entity_emb": blob.get("entity_emb", {}),
            "top_items": blob.get("top_items"), "top_scores": blob.get("top_scores"),
            "item_fold": blob.get("item_fold"), "params": meta.get("params"), "metrics": meta.get("metrics"),
            "info": meta.get("info")}
        check_fields(values, str(path))
        return cls(**values)


def _read(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The file's blob and its parsed ``meta``, both dicts."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        meta = json.loads(blob["meta"]) if isinstance(blob, dict) else None
    except FileNotFoundError as e:
        raise InputError(path, None, "artefact", "no such file") from e
    except OSError as e:
        raise InputError(path, None, "artefact", f"cannot be read ({e.strerror or e.__class__.__name__})") from e
    except (KeyError, TypeError, ValueError, RuntimeError, EOFError, pickle.UnpicklingError) as e:
        raise InputError(path, None, "artefact", f"not a graphrec artefact ({e.__class__.__name__})") from e
    if not isinstance(blob, dict):
        raise InputError(path, None, "artefact", f"not a graphrec artefact (holds a {type(blob).__name__})")
    if not isinstance(meta, dict):
        raise InputError(path, None, "meta", f"must be a JSON object, got {type(meta).__name__}")
    return blob, meta
