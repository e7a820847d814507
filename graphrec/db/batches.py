"""Batched, idempotent writes: ``UNWIND $rows`` in fixed-size batches (neo4j-graphrag's writer)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from neo4j import Driver

from graphrec.db.driver import write
from graphrec.types import Row


def chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """Yield lists of at most ``size`` rows."""
    if size < 1:
        raise ValueError(f"batch size must be >= 1, got {size}")
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def write_batches(
    driver: Driver,
    query: str,
    rows: Iterable[Row],
    batch_size: int = 10_000,
    params: Mapping[str, Any] | None = None,
    on_batch: Callable[[int], None] | None = None,
    database: str | None = None,
) -> int:
    """Run ``query`` once per batch with ``$rows`` bound to the batch.

    Args:
        driver: an open driver.
        query: Cypher text that starts from ``UNWIND $rows AS row``.
        rows: the records; consumed lazily, so a generator keeps memory bounded.
        batch_size: rows per transaction (default: 10000).
        params: extra parameters passed with every batch.
        on_batch: called with the number of rows after each batch (progress bars).
        database: database name (default: the driver's).

    Returns:
        The number of rows written.
    """
    total = 0
    for batch in chunks(rows, batch_size):
        write(driver, query, {**(params or {}), "rows": batch}, database=database)
        total += len(batch)
        if on_batch:
            on_batch(len(batch))
    return total
