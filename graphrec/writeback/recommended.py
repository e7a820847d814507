"""The one RECOMMENDED row format, written by publish (``writeback/write_recommended``) and refresh
(``refresh/replace_recommended``).

A row is one user's ranked list: ``{u: user id, items: [item ids, best first], s: "score,score,..."}`` (the
scores as one string of ``%.8g`` decimals, parsed server-side, as vectors are); :func:`item_positions` turns a
batch of them into the queries' batch parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from graphrec.types import Row


def recommended_row(user: str, ranked: Sequence[tuple[str, float]]) -> Row:
    """The RECOMMENDED row of ``user`` from its ``(item id, score)`` list, best first."""
    return {"u": user, "items": [i for i, _ in ranked], "s": ",".join(f"{s:.8g}" for _, s in ranked)}


def item_positions(batch: list[Row]) -> Row:
    """Batch parameters of a query that writes ranked lists:
    ``{items: the batch's distinct item ids, rows: [{u, items: positions in that list, s}]}``, so that
    the query looks each item up once per batch instead of once per relationship."""
    pos: dict[object, int] = {}
    rows = [{**row, "items": [pos.setdefault(x, len(pos)) for x in row["items"]]} for row in batch]
    return {"items": list(pos), "rows": rows}


def to_rows(users: Sequence[str], item_ids: Sequence[str], items: Sequence[Sequence[int]],
            scores: Sequence[Sequence[float]]) -> Iterator[Row]:
    """The RECOMMENDED rows of ``users`` from their top-K item positions and scores (``-1`` pads skipped); a user
    left with no item gets no row."""
    for user, row_i, row_s in zip(users, items, scores, strict=True):
        keep = [(item_ids[i], s) for i, s in zip(row_i, row_s, strict=True) if i >= 0]
        if keep:
            yield recommended_row(user, keep)
