"""Train/valid/test splits of user–item interactions: the stored ``split`` property, or a seeded one.

Interactions are unique (user, item) pairs over all behaviour types. A pair that is a training
positive never also counts as a held-out positive (it would be masked out at evaluation anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

SplitMode = Literal["auto", "stored", "temporal", "random"]
SPLIT_MODES: tuple[str, ...] = ("auto", "stored", "temporal", "random")

TRAIN, VALID, TEST = 0, 1, 2


@dataclass
class Split:
    """The result of :func:`split_interactions`.

    Attributes:
        train: ``[2, E]`` int64 unique (user, item) training pairs, sorted.
        valid: ``[2, E]`` validation pairs.
        test: ``[2, E]`` test pairs.
        edge_train: per input relationship, whether it is in the message-passing graph.
        mode: the mode actually used (``"stored"``, ``"temporal"`` or ``"random"``).
    """

    train: NDArray[np.int64]
    valid: NDArray[np.int64]
    test: NDArray[np.int64]
    edge_train: NDArray[np.bool_]
    mode: str


def _pairs(keys: NDArray[np.int64], num_items: int) -> NDArray[np.int64]:
    return np.stack([keys // num_items, keys % num_items]).astype(np.int64)


def _per_user_split(keys: NDArray[np.int64], order: NDArray[np.int64], num_items: int, valid_frac: float,
                    test_frac: float) -> NDArray[np.int8]:
    """Split code per unique pair: the last ``test_frac`` of each user's pairs (by ``order``) are test,
    the ``valid_frac`` before them valid; every user keeps at least one training pair."""
    users = keys // num_items
    perm = np.lexsort((order, users))
    su = users[perm]
    starts = np.flatnonzero(np.r_[True, su[1:] != su[:-1]])
    counts = np.diff(np.r_[starts, len(su)])
    n_test = np.rint(counts * test_frac).astype(np.int64)
    n_valid = np.rint(counts * valid_frac).astype(np.int64)
    over = np.maximum(n_test + n_valid - (counts - 1), 0)      # keep one training pair
    n_valid = np.maximum(n_valid - over, 0)
    n_test = np.minimum(n_test, counts - 1 - n_valid)
    rank = np.arange(len(su)) - np.repeat(starts, counts)
    from_end = np.repeat(counts, counts) - rank                 # 1 for each user's last pair
    code_sorted = np.full(len(su), TRAIN, dtype=np.int8)
    code_sorted[from_end <= np.repeat(n_test + n_valid, counts)] = VALID
    code_sorted[from_end <= np.repeat(n_test, counts)] = TEST
    code = np.empty_like(code_sorted)
    code[perm] = code_sorted
    return code


def split_interactions(
    users: NDArray[np.int64],
    items: NDArray[np.int64],
    codes: NDArray[np.int8],
    ts: NDArray[np.int64],
    num_items: int,
    mode: SplitMode = "auto",
    valid_frac: float = 0.1,
    test_frac: float = 0.2,
    seed: int = 0,
) -> Split:
    """Split interactions into train/valid/test pairs.

    Args:
        users: user index per relationship.
        items: item index per relationship.
        codes: stored split per relationship (0 train, 1 valid, 2 test).
        ts: ``ts`` per relationship, -1 where missing.
        num_items: number of items (for pair keys).
        mode: ``"stored"`` uses ``codes``; ``"temporal"`` holds out each user's latest pairs (by
            their first ``ts``); ``"random"`` a seeded random share per user; ``"auto"`` (default)
            is ``stored`` when any relationship is stored as valid/test, else ``temporal`` when every
            relationship has a ``ts``, else ``random``.
        valid_frac: share of each user's pairs held out for validation in seeded modes (default: 0.1).
        test_frac: share held out for test in seeded modes (default: 0.2).
        seed: random seed for ``"random"`` (and tie-breaking in ``"temporal"``) (default: 0).

    Raises:
        ValueError: an unknown mode, bad fractions, or ``temporal`` without ``ts`` everywhere.
    """
    if mode not in SPLIT_MODES:
        raise ValueError(f"split mode must be one of {', '.join(SPLIT_MODES)}, not {mode!r}")
    if not (0 <= valid_frac < 1 and 0 <= test_frac < 1 and valid_frac + test_frac < 1):
        raise ValueError(f"split fractions must be in [0, 1) and sum below 1, got {valid_frac} and {test_frac}")
    if mode == "auto":
        if (codes != TRAIN).any():
            mode = "stored"
        elif len(ts) and (ts >= 0).all():
            mode = "temporal"
        else:
            mode = "random"
    if mode == "temporal" and len(ts) and (ts < 0).any():
        raise ValueError(f"temporal split needs `ts` on every interaction; {int((ts < 0).sum())} have none")
    edge_keys = users.astype(np.int64) * num_items + items.astype(np.int64)
    if mode == "stored":
        train_keys = np.unique(edge_keys[codes == TRAIN])
        valid_keys = np.setdiff1d(np.unique(edge_keys[codes == VALID]), train_keys, assume_unique=True)
        test_keys = np.setdiff1d(np.unique(edge_keys[codes == TEST]), np.union1d(train_keys, valid_keys),
                                 assume_unique=True)
    else:
        keys, inverse = np.unique(edge_keys, return_inverse=True)
        rng = np.random.default_rng(seed)
        if mode == "temporal":
            first = np.full(len(keys), np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(first, inverse, ts)
            # ties (same second) broken by a seeded shuffle rather than by item index
            tie = rng.permutation(len(keys)).astype(np.int64)
            order = np.lexsort((tie, first)).argsort().astype(np.int64)
        else:
            order = rng.permutation(len(keys)).astype(np.int64)
        code = _per_user_split(keys, order, num_items, valid_frac, test_frac)
        train_keys, valid_keys, test_keys = keys[code == TRAIN], keys[code == VALID], keys[code == TEST]
    edge_train = codes == TRAIN if mode == "stored" else np.isin(edge_keys, train_keys)
    return Split(train=_pairs(train_keys, num_items), valid=_pairs(valid_keys, num_items),
                 test=_pairs(test_keys, num_items), edge_train=edge_train, mode=mode)
