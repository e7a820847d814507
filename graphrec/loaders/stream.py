"""Stream nodes and edges out of Neo4j page by page, as columns into preallocated numpy arrays.

Every page is one query that returns one record of ``collect(...)`` lists, so the driver decodes a
few large lists (fast with the Rust extension) instead of building one ``Record`` per row; memory
is bounded by one page plus the output arrays. Nodes are paged by their id property (keyset on its
index), edges by pages of source nodes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from neo4j import Driver, Record
from numpy.typing import NDArray

from graphrec.db import read, render
from graphrec.errors import DatabaseError
from graphrec.types import EdgeType, IdMap, NodeType

Progress = Callable[[int], None]

TEXT_PROPERTY = "text_embedding"
"""The node property holding text features (written by ``graphrec embed-text``)."""


class Column:
    """A growable 1-d numpy column: preallocated to the expected size, doubled when a page overflows it."""

    def __init__(self, dtype: type[np.generic], capacity: int = 1024) -> None:
        self._a: NDArray[np.generic] = np.empty(max(capacity, 16), dtype=dtype)
        self.n = 0

    def extend(self, values: Sequence[Any] | NDArray[np.generic]) -> None:
        """Append a page of values."""
        k = len(values)
        if self.n + k > len(self._a):
            grown = np.empty(max(2 * len(self._a), self.n + k), dtype=self._a.dtype)
            grown[: self.n] = self._a[: self.n]
            self._a = grown
        self._a[self.n: self.n + k] = values
        self.n += k

    def array(self) -> NDArray[np.generic]:
        """The filled part (a view)."""
        return self._a[: self.n]


@dataclass
class NodeColumns:
    """The nodes of one type: business ids in ``id`` order, text embeddings and numeric properties.

    Attributes:
        ids: business ids by index.
        text: ``[N, d]`` float32 text embeddings, or ``None`` when no node of the type has one.
        has_text: ``[N]`` bool, which rows of ``text`` are real (the others are zeros).
        numeric: ``[N, P]`` float32 numeric properties (NaN where missing), or ``None``.
    """

    ids: IdMap
    text: NDArray[np.float32] | None
    has_text: NDArray[np.bool_] | None
    numeric: NDArray[np.float32] | None


def stream_nodes(driver: Driver, label: NodeType, page_size: int = 20_000, with_text: bool = True,
                 numeric: Sequence[str] = (), expected: int | None = None,
                 progress: Progress | None = None, id_key: str = "id") -> NodeColumns:
    """Stream every node of ``label`` in id order.

    Args:
        driver: an open driver.
        label: node label (allowlisted).
        page_size: nodes per query (default: 20000).
        with_text: also fetch ``text_embedding`` (default: ``True``).
        numeric: numeric properties to fetch (default: none).
        expected: the node count from the count store; when given, a shortfall (nodes whose ``id``
            is missing or not a string) raises.
        progress: called with the number of nodes after each page.
        id_key: the id property (default: ``id``; a mapped one must be schema-checked).

    Raises:
        DatabaseError: nodes with a missing or non-string id, or text embeddings of unequal length.
    """
    query = render("extract/node_page", label=label, id=id_key)
    ids: list[str] = []
    text: NDArray[np.float32] | None = None     # allocated at the first page with embeddings, grown by doubling
    has_text = Column(np.bool_, expected or 1024)
    num = Column(np.float32, (expected or 1024) * max(len(numeric), 1))
    after = ""
    while True:
        rec = read(driver, query, {"after": after, "limit": page_size, "with_text": with_text,
                                   "text_key": TEXT_PROPERTY, "props": list(numeric)})[0]
        page_ids: list[str] = rec["ids"]
        if not page_ids:
            break
        if with_text:
            emb = rec["text"]
            mask = np.fromiter((len(e) > 0 for e in emb), dtype=np.bool_, count=len(emb))
            if mask.any():
                lens = {len(e) for e in emb if e}
                dim = text.shape[1] if text is not None else None
                if len(lens) != 1 or (dim is not None and lens != {dim}):
                    raise DatabaseError(f"{label}.text_embedding has rows of different lengths "
                                        f"{sorted(lens | ({dim} if dim else set()))}; re-run `graphrec embed-text`")
                if text is None:
                    text = np.zeros((max(expected or 0, len(ids) + len(page_ids)), lens.pop()), dtype=np.float32)
                elif len(ids) + len(page_ids) > len(text):
                    grown = np.zeros((max(2 * len(text), len(ids) + len(page_ids)), text.shape[1]), dtype=np.float32)
                    grown[: len(ids)] = text[: len(ids)]
                    text = grown
                text[len(ids) + np.flatnonzero(mask)] = np.asarray([e for e in emb if e], dtype=np.float32)
            has_text.extend(mask)
        if numeric:
            vals = np.asarray(rec["props"], dtype=np.float64).astype(np.float32)  # None -> nan
            num.extend(vals.reshape(-1))
        ids.extend(page_ids)
        if progress:
            progress(len(page_ids))
        after = page_ids[-1]
        if len(page_ids) < page_size:
            break
    if expected is not None and len(ids) != expected:
        raise DatabaseError(f"{expected - len(ids)} of {expected} {label} nodes have a missing or non-string id "
                            f"property {id_key!r}; graphrec needs a string id on every node")
    mask_arr: NDArray[np.bool_] | None = None
    if text is not None:
        text = text[: len(ids)]
        mask_arr = has_text.array().astype(np.bool_)
    numeric_arr = num.array().reshape(len(ids), len(numeric)).astype(np.float32) if numeric else None
    return NodeColumns(ids=ids, text=text, has_text=mask_arr, numeric=numeric_arr)


@dataclass
class EdgeColumns:
    """The relationships of one edge type as index columns.

    Attributes:
        src: source node indices (int64).
        dst: target node indices (int64).
        split: 0 train, 1 valid, 2 test (int8), behaviours only.
        ts: timestamp property, -1 where missing (int64), behaviours only.
        weight: weight property, NaN where missing (float64), behaviours with a weight key only.
    """

    src: NDArray[np.int64]
    dst: NDArray[np.int64]
    split: NDArray[np.int8] | None = None
    ts: NDArray[np.int64] | None = None
    weight: NDArray[np.float64] | None = None


def _source_pages(ids: IdMap, per_page: int) -> Iterator[tuple[int, list[str]]]:
    for start in range(0, len(ids), per_page):
        yield start, ids[start: start + per_page]


def _block(pages: list[tuple[int, list[str]]], i: int, n: int) -> Iterator[tuple[int, list[str]]]:
    """The ``i``-th of ``n`` contiguous blocks of ``pages``."""
    return iter(pages[len(pages) * i // n: len(pages) * (i + 1) // n])


def _no_edges(behaviour: bool, with_weight: bool) -> EdgeColumns:
    """Empty columns, shaped as :func:`stream_edges` returns them."""
    empty = np.empty(0, dtype=np.int64)
    return EdgeColumns(src=empty, dst=empty.copy(), split=np.empty(0, dtype=np.int8) if behaviour else None,
                       ts=empty.copy() if behaviour else None,
                       weight=np.empty(0, dtype=np.float64) if with_weight else None)


def concat_edges(parts: Sequence[EdgeColumns]) -> EdgeColumns:
    """``parts`` (blocks of one edge type, in block order) as one set of columns."""
    def cat(name: str) -> Any:
        cols = [getattr(p, name) for p in parts]
        return None if cols[0] is None else np.concatenate(cols)
    return EdgeColumns(src=cat("src"), dst=cat("dst"), split=cat("split"), ts=cat("ts"), weight=cat("weight"))


def _map(index: dict[str, int], ids: list[str], where: str) -> list[int]:
    try:
        return [index[t] for t in ids]
    except KeyError as e:
        raise DatabaseError(f"{where}: {e.args[0]!r} is not among the streamed nodes "
                            "(was the graph changed while loading?)") from e


def _weights(values: Sequence[Sequence[float | None]]) -> NDArray[np.float64]:
    return np.asarray([v[0] if v else None for v in values], dtype=np.float64).reshape(-1)  # None -> nan


def _edge_params(with_ts: bool, ts_key: str, weight_key: str | None) -> dict[str, Any]:
    return {"split_key": "split", "ts_key": ts_key, "with_ts": with_ts, "with_weight": weight_key is not None,
            "weight_key": weight_key}


def scan_edges(driver: Driver, edge_type: EdgeType, src_index: dict[str, int], dst_index: dict[str, int],
               behaviour: bool = False, with_ts: bool = True, src_id: str = "id", dst_id: str = "id",
               ts_key: str = "ts", weight_key: str | None = None) -> EdgeColumns:
    """All relationships of a small edge type in one relationship-type scan (see :func:`stream_edges`)."""
    s, rtype, d = edge_type
    query = render("extract/behaviour_scan" if behaviour else "extract/edge_scan", src=s, type=rtype, dst=d,
                   src_id=src_id, dst_id=dst_id)
    rec = read(driver, query, _edge_params(with_ts, ts_key, weight_key))[0]
    where = f"{s}-[{rtype}]->{d}"
    return EdgeColumns(src=np.asarray(_map(src_index, rec["src"], where), dtype=np.int64),
                       dst=np.asarray(_map(dst_index, rec["dst"], where), dtype=np.int64),
                       split=np.asarray(rec["split"], dtype=np.int8) if behaviour else None,
                       ts=np.asarray(rec["ts"], dtype=np.int64) if behaviour else None,
                       weight=_weights(rec["weight"]) if behaviour and weight_key is not None else None)


def stream_edges(driver: Driver, edge_type: EdgeType, src_ids: IdMap, dst_index: dict[str, int],
                 behaviour: bool = False, expected: int | None = None, page_edges: int = 50_000,
                 progress: Progress | None = None, with_ts: bool = True, workers: int = 4,
                 src_index: dict[str, int] | None = None, src_id: str = "id", dst_id: str = "id",
                 ts_key: str = "ts", weight_key: str | None = None, block: tuple[int, int] = (0, 1)) -> EdgeColumns:
    """Stream the relationships of ``edge_type`` as index columns.

    Source nodes are sent in pages sized so that a page holds about ``page_edges`` relationships
    at the average degree; the server returns each target's business id, mapped to its index here.
    Up to ``workers`` pages are in flight at once (the server's work, reading relationships and their
    properties, is most of the cost); results are consumed in page order, so memory stays bounded
    by ``workers`` pages plus the output columns.

    Args:
        driver: an open driver.
        edge_type: ``(src label, REL_TYPE, dst label)``, all allowlisted.
        src_ids: id map of the source type (page order).
        dst_index: business id → index of the target type.
        behaviour: also fetch ``split`` (and the timestamp and weight) (default: ``False``).
        expected: expected relationship count, used to size the arrays (default: unknown).
        page_edges: target relationships per query (default: 50000).
        progress: called with the number of relationships after each page.
        with_ts: fetch ``ts`` of behaviours; ``False`` leaves ``ts`` at -1 (default: ``True``).
        workers: pages in flight at once (default: 4).
        src_index: business id → index of the source type; when given and the type is known to
            hold at most ``page_edges`` relationships, one relationship-type scan replaces the
            source pages (a sparse KG relation would otherwise seek every source node).
        src_id: the source type's id property (default: ``id``).
        dst_id: the target type's id property (default: ``id``).
        ts_key: the behaviour's timestamp property (default: ``ts``).
        weight_key: the behaviour's weight property, read into ``weight`` (default: none).
        block: ``(i, n)``: stream only the ``i``-th of ``n`` contiguous blocks of the source pages (the whole
            relationship-type scan for ``i = 0``, nothing for the others), so that ``n`` processes together
            stream every relationship once, and their columns concatenated in block order are the whole
            load's (default: ``(0, 1)``: everything).

    Raises:
        DatabaseError: a relationship whose target is not in ``dst_index``.
    """
    i, n = block
    if src_index is not None and expected is not None and expected <= page_edges:
        if i:
            return _no_edges(behaviour, behaviour and weight_key is not None)
        cols = scan_edges(driver, edge_type, src_index, dst_index, behaviour, with_ts, src_id, dst_id, ts_key,
                          weight_key)
        if progress:
            progress(len(cols.src))
        return cols
    s, rtype, d = edge_type
    query = render("extract/behaviour_page" if behaviour else "extract/edge_page", src=s, type=rtype, dst=d,
                   src_id=src_id, dst_id=dst_id)
    params = _edge_params(with_ts, ts_key, weight_key)
    with_weight = behaviour and weight_key is not None
    cap = expected if expected is not None else 1024
    src, dst = Column(np.int64, cap), Column(np.int64, cap)
    split, ts = Column(np.int8, cap if behaviour else 1), Column(np.int64, cap if behaviour else 1)
    weight = Column(np.float64, cap if with_weight else 1)
    avg_degree = max(1.0, (expected or len(src_ids)) / max(len(src_ids), 1))
    per_page = max(1, int(page_edges / avg_degree))

    def fetch(page: list[str]) -> Record:
        return read(driver, query, {**params, "ids": page})[0]

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="graphrec-loader") as pool:
        window: deque[tuple[int, Future[Record]]] = deque()
        pages = _block(list(_source_pages(src_ids, per_page)), i, n)
        while True:
            while len(window) < max(1, workers):
                nxt = next(pages, None)
                if nxt is None:
                    break
                window.append((nxt[0], pool.submit(fetch, nxt[1])))
            if not window:
                break
            offset, fut = window.popleft()
            rec = fut.result()
            k: list[int] = rec["src"]
            if not k:
                continue
            try:
                dst.extend(_map(dst_index, rec["dst"], f"{s}-[{rtype}]->{d}"))
            except DatabaseError:
                for _, f in window:
                    f.cancel()
                raise
            src.extend(np.asarray(k, dtype=np.int64) + offset)
            if behaviour:
                split.extend(rec["split"])
                ts.extend(rec["ts"])
                if with_weight:
                    weight.extend(_weights(rec["weight"]))
            if progress:
                progress(len(k))
    return EdgeColumns(src=src.array().astype(np.int64), dst=dst.array().astype(np.int64),
                       split=split.array().astype(np.int8) if behaviour else None,
                       ts=ts.array().astype(np.int64) if behaviour else None,
                       weight=weight.array().astype(np.float64) if with_weight else None)
