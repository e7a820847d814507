"""The one batched writer (ingest, embed-text, publish and refresh all write through it), on the real server."""

from __future__ import annotations

import pytest
from neo4j import Driver

from graphrec.db.batches import chunks, write_batches

CREATE = "UNWIND $rows AS row CREATE (:Item {id: row.id, tag: $tag, n: size($all)})"


def _written(db: Driver) -> list[tuple[str, str, int]]:
    rows = db.execute_query("MATCH (i:Item) RETURN i.id AS id, i.tag AS tag, i.n AS n ORDER BY toInteger(i.id)").records
    return [(r["id"], r["tag"], r["n"]) for r in rows]


@pytest.mark.parametrize("workers", [1, 3])
def test_every_row_once_in_batches_with_params_and_prepare(db: Driver, workers: int) -> None:
    seen: list[int] = []
    n = write_batches(db, CREATE, ({"id": str(i)} for i in range(23)), batch_size=5, params={"tag": "t"},
                      on_batch=seen.append, workers=workers,
                      prepare=lambda batch: {"rows": batch, "all": [r["id"] for r in batch]})
    assert n == 23 and sorted(seen) == [3, 5, 5, 5, 5]
    assert _written(db) == [(str(i), "t", 3 if i >= 20 else 5) for i in range(23)]


@pytest.mark.parametrize("workers", [1, 2])
def test_before_stops_the_write_between_batches(db: Driver, workers: int) -> None:
    calls = [0]

    def before() -> None:
        calls[0] += 1
        if calls[0] > 2:
            raise RuntimeError("lease lost")

    with pytest.raises(RuntimeError, match="lease lost"):
        write_batches(db, CREATE, [{"id": str(i)} for i in range(10)], batch_size=2, params={"tag": "x", "all": []},
                      workers=workers, before=before)
    assert [r[0] for r in _written(db)] == ["0", "1", "2", "3"]   # the two batches sent before it raised


def test_lists_rows_and_bad_batch_size() -> None:
    assert list(chunks([[1, "a"], [2, "b"], [3, "c"]], 2)) == [[[1, "a"], [2, "b"]], [[3, "c"]]]
    with pytest.raises(ValueError, match="batch size must be >= 1"):
        list(chunks([], 0))
