"""Batched writes with a few transactions in flight at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from neo4j import Driver

from graphrec.db import write, write_batches
from graphrec.db.batches import chunks
from graphrec.types import Row


def parallel_batches(driver: Driver, query: str, rows: Iterable[Row], batch_size: int, params: Row,
                     workers: int, on_batch: Callable[[int], None] | None = None,
                     prepare: Callable[[list[Row]], Row] | None = None) -> int:
    """Like :func:`write_batches`, with up to ``workers`` transactions in flight (deadlocks are
    transient errors, retried by the driver).

    ``prepare`` turns a batch into the query's batch parameters (default: ``{"rows": batch}``), e.g.
    :func:`item_positions`."""
    if workers <= 1 and prepare is None:
        return write_batches(driver, query, rows, batch_size=batch_size, params=params, on_batch=on_batch)
    shape = prepare or (lambda batch: {"rows": batch})
    if workers <= 1:
        total = 0
        for batch in chunks(rows, batch_size):
            write(driver, query, {**params, **shape(batch)})
            total += len(batch)
            if on_batch:
                on_batch(len(batch))
        return total
    total = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[Future[object], int]] = []
        for batch in chunks(rows, batch_size):
            pending.append((pool.submit(write, driver, query, {**params, **shape(batch)}), len(batch)))
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


def item_positions(batch: list[Row]) -> Row:
    """Batch parameters of a query that writes ranked lists (``writeback/write_recommended``,
    ``refresh/replace_recommended``):
    ``{items: the batch's distinct item ids, rows: [{u, items: positions in that list, s}]}``, so that
    the query looks each item up once per batch instead of once per relationship."""
    pos: dict[object, int] = {}
    rows = [{**row, "items": [pos.setdefault(x, len(pos)) for x in row["items"]]} for row in batch]
    return {"items": list(pos), "rows": rows}
