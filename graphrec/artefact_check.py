"""The one validator of what write-back is given: an :class:`~graphrec.artefact.Artefact`'s fields (a saved file
is only a file, and a crafted one must fail here, in one line, not in the middle of a publish), and the vectors
and top-K lists ``publish`` and ``refresh`` are about to write.

Every check raises :class:`~graphrec.errors.InputError` (exit code 2) reading ``WHERE: field: problem``; none
touches the database (the ids an artefact names are checked against the graph by
:func:`graphrec.writeback.publish.check_known_ids`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from graphrec.errors import InputError

MAX_DIM = 4095
"""Widest vector a run may publish: Neo4j's vector indexes take 1 to 4,096 dimensions, and the run's MIPS
index holds each item vector with one coordinate more (:func:`graphrec.writeback.vectors.mips_augment`)."""


def _kind(x: object) -> str:
    return type(x).__name__


def _fail(where: str, name: str, problem: str) -> InputError:
    return InputError(where, None, name, problem)


def check_vectors(name: str, t: object, rows: int, dim: int | None, where: str) -> int:
    """``t`` is a finite floating ``[rows, dim]`` tensor (``dim`` ``None``: any width 1..:data:`MAX_DIM`).

    Returns:
        Its width.
    """
    if not isinstance(t, Tensor):
        raise _fail(where, name, f"must be a tensor, got {_kind(t)}")
    if t.dim() != 2 or t.size(0) != rows:
        raise _fail(where, name, f"must be [{rows}, d] (one row per id), got shape {tuple(t.shape)}")
    if not t.dtype.is_floating_point:
        raise _fail(where, name, f"must hold floats, got {t.dtype}")
    d = int(t.size(1))
    if dim is None and not 1 <= d <= MAX_DIM:
        raise _fail(where, name, f"vector dimension {d} is outside 1..{MAX_DIM} (Neo4j's vector index limit)")
    if dim is not None and d != dim:
        raise _fail(where, name, f"vector dimension {d} differs from user_emb's {dim}")
    bad = int((~torch.isfinite(t)).sum())
    if bad:
        raise _fail(where, name, f"holds {bad:,} NaN or infinite values")
    return d


def _integer(t: Tensor) -> bool:
    return not (t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool)


def check_exclude(t: object, users: int, items: int, where: str) -> None:
    """``t`` is an integer ``[2, E]`` tensor of (user, item) indices within range."""
    if not isinstance(t, Tensor):
        raise _fail(where, "exclude", f"must be a tensor, got {_kind(t)}")
    if t.dim() != 2 or t.size(0) != 2 or not _integer(t):
        raise _fail(where, "exclude", f"must be an integer [2, E] tensor, got {t.dtype} {tuple(t.shape)}")
    if t.numel() and (int(t.min()) < 0 or int(t[0].max()) >= users or int(t[1].max()) >= items):
        raise _fail(where, "exclude", "holds an index outside the user or item range")


def check_top(items: object, scores: object, users: int, num_items: int, where: str) -> None:
    """``items``/``scores`` (both or neither): ``[users, K]`` item indices best first, within
    ``[-1, num_items)``, ``-1`` only as trailing pads, no item twice in a row; finite scores for every item."""
    if items is None and scores is None:
        return
    if not isinstance(items, Tensor) or not isinstance(scores, Tensor):
        raise _fail(where, "top_items", f"top_items and top_scores must both be tensors, got "
                                        f"{_kind(items)} and {_kind(scores)}")
    if items.dim() != 2 or items.shape != scores.shape or items.size(0) != users or items.size(1) < 1:
        raise _fail(where, "top_items", f"top_items {tuple(items.shape)} and top_scores {tuple(scores.shape)} "
                                        f"must both be [{users}, K] with K >= 1")
    if not _integer(items):
        raise _fail(where, "top_items", f"must hold integer item indices, got {items.dtype}")
    if not scores.dtype.is_floating_point:
        raise _fail(where, "top_scores", f"must hold floats, got {scores.dtype}")
    _check_top_values(items, scores, num_items, where)


def _first_row(mask: Tensor) -> int:
    return int(mask.any(1).nonzero()[0, 0])


def _check_top_values(items: Tensor, scores: Tensor, num_items: int, where: str) -> None:
    if items.numel() == 0:
        return
    out = (items < -1) | (items >= num_items)
    if bool(out.any()):
        r = _first_row(out)
        raise _fail(where, "top_items", f"row {r} holds item index {int(items[r][out[r]][0])} outside "
                                        f"[-1, {num_items}) (-1 pads)")
    pad = items < 0
    late = pad[:, :-1] & ~pad[:, 1:]
    if bool(late.any()):
        raise _fail(where, "top_items", f"row {_first_row(late)} has an item after a -1 pad (pads come last)")
    ordered = items.sort(dim=1).values
    twice = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
    if bool(twice.any()):
        r = _first_row(twice)
        raise _fail(where, "top_items", f"row {r} holds item {int(ordered[r, 1:][twice[r]][0])} more than once")
    bad = ~torch.isfinite(scores) & ~pad
    if bool(bad.any()):
        raise _fail(where, "top_scores", f"holds {int(bad.sum()):,} NaN or infinite scores (first in row "
                                         f"{_first_row(bad)})")


def _check_meta(f: Mapping[str, Any], where: str) -> None:
    for name in ("model", "user_type", "item_type"):
        if not isinstance(f.get(name), str) or not f[name]:
            raise _fail(where, name, f"must be a non-empty string, got {_kind(f.get(name))}")
    pairs = f.get("train_pairs")
    if not isinstance(pairs, int) or isinstance(pairs, bool) or pairs < 0:
        raise _fail(where, "train_pairs", f"must be a non-negative integer, got {pairs!r:.40}")
    for name in ("params", "metrics", "info"):
        if not isinstance(f.get(name), dict):
            raise _fail(where, name, f"must be a JSON object, got {_kind(f.get(name))}")
    for split, values in f["metrics"].items():
        if not isinstance(values, dict) or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                                   for v in values.values()):
            raise _fail(where, "metrics", f"{str(split)[:40]!r} must map metric names to numbers")
    behaviours = f["info"].get("behaviours")
    if behaviours is not None and not (isinstance(behaviours, list) and all(isinstance(b, str) for b in behaviours)):
        raise _fail(where, "info.behaviours", "must be a list of relationship type names")


def _check_ids(ids: object, wanted: list[str], where: str) -> dict[str, list[str]]:
    if not isinstance(ids, dict):
        raise _fail(where, "ids", f"must map node types to lists of ids, got {_kind(ids)}")
    for t, v in ids.items():
        if not isinstance(t, str) or not isinstance(v, list | tuple) or not all(isinstance(x, str) for x in v):
            raise _fail(where, "ids", f"{str(t)[:40]!r} must map to a list of string ids, got {_kind(v)}")
        if len(set(v)) != len(v):
            raise _fail(where, "ids", f"{t}: {len(v) - len(set(v)):,} ids appear more than once")
    for t in wanted:
        if t not in ids:
            raise _fail(where, "ids", f"has no id list for {t!r}")
    return ids


def check_fields(f: Mapping[str, Any], where: str) -> None:
    """Every field of an artefact (:class:`~graphrec.artefact.Artefact`'s names) has the right type, shape
    and values: what ``publish`` and ``Artefact.load`` run before anything else.

    Raises:
        InputError: ``WHERE: field: problem`` for the first wrong field.
    """
    _check_meta(f, where)
    ids = _check_ids(f.get("ids"), [f["user_type"], f["item_type"]], where)
    users, items = len(ids[f["user_type"]]), len(ids[f["item_type"]])
    d = check_vectors("user_emb", f.get("user_emb"), users, None, where)
    check_vectors("item_emb", f.get("item_emb"), items, d, where)
    if f.get("item_fold") is not None:
        check_vectors("item_fold", f["item_fold"], items, d, where)
    entity = f.get("entity_emb")
    if not isinstance(entity, dict):
        raise _fail(where, "entity_emb", f"must map node types to tensors, got {_kind(entity)}")
    for t, v in entity.items():
        _check_ids(ids, [t], where)
        check_vectors(f"entity_emb[{t}]", v, len(ids[t]), d, where)
    check_exclude(f.get("exclude"), users, items, where)
    check_top(f.get("top_items"), f.get("top_scores"), users, items, where)

