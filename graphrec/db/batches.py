"""The one batched writer: ``UNWIND $rows`` in fixed-size batches (neo4j-graphrag's writer), used by ingest,
embed-text, publish and refresh.

Each batch is its own transaction. ``workers`` > 1 keeps up to that many in flight at once (deadlocks between
them are transient errors, retried by the driver); ``prepare`` shapes a batch into the query's parameters
(default ``{"rows": batch}``; publish and refresh look each RECOMMENDED item up once per batch with
:func:`graphrec.writeback.recommended.item_positions`); ``before`` runs before each batch (the load's
writer-lease check, which raises once the lease is lost).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Any, TypeVar

from neo4j import Driver

from graphrec.db.driver import write
from graphrec.types import Row

T = TypeVar("T")


def chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of at most ``size`` rows."""
    if size < 1:
        raise ValueError(f"batch size must be >= 1, got {size}")
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def write_batches(
    driver: Driver,
    query: str,
    rows: Iterable[Any],
    batch_size: int = 10_000,
    params: Mapping[str, Any] | None = None,
    on_batch: Callable[[int], None] | None = None,
    database: str | None = None,
    *,
    workers: int = 1,
    prepare: Callable[[list[Any]], Row] | None = None,
    before: Callable[[], None] | None = None,
) -> int:
    """Run ``query`` once per batch with ``$rows`` bound to the batch.

    Args:
        driver: an open driver.
        query: Cypher text that starts from ``UNWIND $rows AS row``.
        rows: the records (maps, or lists for ingest's positional rows); consumed lazily, so a generator keeps
            memory bounded.
        batch_size: rows per transaction (default: 10000).
        params: extra parameters passed with every batch.
        on_batch: called with the number of rows after each batch is committed (progress bars).
        database: database name (default: the driver's).
        workers: transactions in flight at once (default: 1).
        prepare: the batch's parameters from its rows (default: ``{"rows": batch}``).
        before: called before each batch is sent; raising stops the write.

    Returns:
        The number of rows written.
    """
    shape = prepare or (lambda batch: {"rows": batch})
    fixed = dict(params or {})

    def send(batch: list[Any]) -> None:
        write(driver, query, {**fixed, **shape(batch)}, database=database)

    def done(n: int) -> int:
        if on_batch:
            on_batch(n)
        return n

    if workers <= 1:
        total = 0
        for batch in chunks(rows, batch_size):
            if before:
                before()
            send(batch)
            total += done(len(batch))
        return total
    return _in_flight(send, chunks(rows, batch_size), workers, before, done)


def _in_flight(send: Callable[[list[Any]], None], batches: Iterable[list[Any]], workers: int,
               before: Callable[[], None] | None, done: Callable[[int], int]) -> int:
    """:func:`write_batches` with up to ``workers`` batches in flight, committed counts reported in order."""
    total = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[Future[None], int]] = []
        for batch in batches:
            if before:
                before()
            pending.append((pool.submit(send, batch), len(batch)))
            while len(pending) >= 2 * workers or (pending and pending[0][0].done()):
                fut, n = pending.pop(0)
                fut.result()
                total += done(n)
        for fut, n in pending:
            fut.result()
            total += done(n)
    return total
