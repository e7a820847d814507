"""Batched writes with a few transactions in flight at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from neo4j import Driver

from graphrec.db import write, write_batches
from graphrec.db.writer import chunks
from graphrec.types import Row


def parallel_batches(driver: Driver, query: str, rows: Iterable[Row], batch_size: int, params: Row,
                     workers: int, on_batch: Callable[[int], None] | None = None) -> int:
    """Like :func:`write_batches`, with up to ``workers`` transactions in flight (deadlocks are
    transient errors, retried by the driver)."""
    if workers <= 1:
        return write_batches(driver, query, rows, batch_size=batch_size, params=params, on_batch=on_batch)
    total = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[Future[object], int]] = []
        for batch in chunks(rows, batch_size):
            pending.append((pool.submit(write, driver, query, {**params, "rows": batch}), len(batch)))
            while len(pending) >= 2 * workers or (pending and pending[0][0].done()):
                fut, n = pending.pop(0)
                fut.result()
                total += n
                if on_batch:
                    on_batch(n)
        for fut, n in pending:
            fut.result()
            total += n
            if on_batch:
                on_batch(n)
    return total
