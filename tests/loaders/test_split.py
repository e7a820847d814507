"""Split logic on plain arrays (no database needed)."""

from __future__ import annotations

import numpy as np
import pytest

from graphrec.loaders.split import split_interactions


def _toy(n_users: int = 20, per_user: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    users = np.repeat(np.arange(n_users), per_user).astype(np.int64)
    items = np.tile(np.arange(per_user), n_users).astype(np.int64)
    ts = (np.arange(n_users * per_user) * 7 % 101).astype(np.int64)
    return users, items, np.zeros(len(users), dtype=np.int8), ts


def _keys(pairs: np.ndarray, num_items: int) -> set[int]:
    return set((pairs[0] * num_items + pairs[1]).tolist())


def test_auto_is_temporal_when_only_train_and_ts_everywhere() -> None:
    users, items, codes, ts = _toy()
    s = split_interactions(users, items, codes, ts, num_items=10)
    assert s.mode == "temporal"
    assert s.train.shape[1] + s.valid.shape[1] + s.test.shape[1] == 200
    assert s.test.shape[1] == 20 * 2 and s.valid.shape[1] == 20 * 1
    # every held-out pair of a user is later than every training pair of that user
    t = {(int(u), int(i)): int(x) for u, i, x in zip(users, items, ts, strict=True)}
    for u in range(20):
        train_ts = [t[(u, int(i))] for uu, i in s.train.T if uu == u]
        test_ts = [t[(u, int(i))] for uu, i in s.test.T if uu == u]
        assert max(train_ts) <= min(test_ts)
    assert int(s.edge_train.sum()) == s.train.shape[1]


def test_random_split_is_seeded_and_disjoint() -> None:
    users, items, codes, _ = _toy()
    no_ts = np.full(len(users), -1, dtype=np.int64)
    a = split_interactions(users, items, codes, no_ts, num_items=10, seed=3)
    b = split_interactions(users, items, codes, no_ts, num_items=10, seed=3)
    c = split_interactions(users, items, codes, no_ts, num_items=10, seed=4)
    assert a.mode == "random"
    assert np.array_equal(a.test, b.test) and not np.array_equal(a.test, c.test)
    tr, va, te = _keys(a.train, 10), _keys(a.valid, 10), _keys(a.test, 10)
    assert not (tr & va) and not (tr & te) and not (va & te)


def test_stored_split_dedupes_and_never_holds_out_a_training_pair() -> None:
    users = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    items = np.array([0, 0, 1, 1, 2], dtype=np.int64)
    codes = np.array([0, 2, 2, 0, 1], dtype=np.int8)   # (0,0) train via one edge, test via another
    s = split_interactions(users, items, codes, np.full(5, -1, dtype=np.int64), num_items=3)
    assert s.mode == "stored"
    assert s.train.T.tolist() == [[0, 0], [1, 1]]
    assert s.test.T.tolist() == [[0, 1]]
    assert s.valid.T.tolist() == [[1, 2]]
    assert s.edge_train.tolist() == [True, False, False, True, False]


def test_every_user_keeps_a_training_pair() -> None:
    users = np.array([0, 1, 1], dtype=np.int64)
    items = np.array([0, 0, 1], dtype=np.int64)
    s = split_interactions(users, items, np.zeros(3, dtype=np.int8), np.array([1, 2, 3]), num_items=2,
                           valid_frac=0.4, test_frac=0.5)
    assert set(s.train[0].tolist()) == {0, 1}


@pytest.mark.parametrize(("kwargs", "match"), [({"mode": "nope"}, "split mode"),
                                               ({"test_frac": 0.9, "valid_frac": 0.2}, "fractions"),
                                               ({"mode": "temporal"}, "needs `ts`")])
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    users, items, codes, _ = _toy(2, 3)
    with pytest.raises(ValueError, match=match):
        split_interactions(users, items, codes, np.full(6, -1, dtype=np.int64), num_items=3, **kwargs)  # type: ignore[arg-type]
