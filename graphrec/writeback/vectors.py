"""Embedding vectors as node properties: MIPS augmentation, batched writes, per-run vector indexes."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import torch
from neo4j import Driver
from torch import Tensor

from graphrec.db import load_query, read, render, write, write_batches
from graphrec.db.vectors import vector_rows
from graphrec.types import Row


def mips_augment(item_emb: Tensor, norm: float | None = None) -> tuple[Tensor, float]:
    """Extend item vectors by one coordinate so that all have the same norm M.

    ``[v, sqrt(M² - |v|²)]`` with ``M = max |v|``: for a query ``[u, 0]`` the cosine is
    ``u·v / (|u| M)``, so cosine order (what the vector index serves) equals dot-product order
    (what the model scores), and the dot product is recovered as ``cos · |u| · M``.

    Args:
        item_emb: ``[I, d]`` item vectors.
        norm: M to pad to, e.g. the run's recorded one when refresh adds items to a published run (vectors
            longer than it get no padding) (default: the longest vector's norm, 1 when all are zero).

    Returns:
        The ``[I, d+1]`` augmented vectors and M.
    """
    v = item_emb.detach().float().cpu()
    norms = v.norm(dim=1)
    if norm is None:
        m = float(norms.max()) if v.size(0) else 1.0
        m = m if m > 0 else 1.0
    else:
        m = norm
    extra = (m * m - norms * norms).clamp(min=0).sqrt()
    return torch.cat([v, extra[:, None]], dim=1), m


def write_vectors(
    driver: Driver,
    label: str,
    ids: Sequence[str],
    emb: Tensor,
    key: str,
    mips: Tensor | None = None,
    mips_key: str | None = None,
    batch_size: int = 5000,
    on_batch: Callable[[int], None] | None = None,
    workers: int = 1,
    id_key: str = "id",
) -> int:
    """Write ``emb[i]`` to property ``key`` of the ``label`` node with id ``ids[i]`` (and ``mips``).

    ``id_key`` is the label's id property (default: ``id``; a mapped one must be schema-checked).

    Returns:
        The number of vectors written.
    """
    if mips is not None:
        query = render("writeback/write_item_vectors", label=label, id=id_key)
        params = {"key": key, "mips_key": mips_key}
    else:
        query = render("writeback/write_vectors", label=label, id=id_key)
        params = {"key": key}
    return write_batches(driver, query, vector_rows(ids, emb, mips), batch_size, params, on_batch, workers=workers)


def ensure_id_indexes(driver: Driver, id_keys: Mapping[str, str], seconds: int = 300) -> list[str]:
    """A range index on each ``label.id_key`` of ``id_keys`` that is not graphrec's own ``id`` (a
    mapped graph's id properties), named ``graphrec_<label>_<key>``; waits until they are online.

    Returns:
        The index names asked for (an existing index on the same property is kept instead).
    """
    names = []
    for label, key in id_keys.items():
        if key == "id":
            continue
        name = "graphrec_" + re.sub(r"[^a-z0-9]+", "_", f"{label}_{key}".lower()).strip("_")
        write(driver, render("writeback/id_index", label=label, id=key), {"name": name})
        names.append(name)
    if names:
        write(driver, load_query("writeback/await_indexes"), {"seconds": seconds})
    return names


def vector_indexes(driver: Driver) -> dict[str, Row]:
    """The vector indexes that exist, by name: ``{label, property, dim, state}``."""
    return {r["name"]: r.data() for r in read(driver, load_query("writeback/vector_indexes"))}


_PROPERTY = re.compile(r"^[a-z][a-z0-9_]{0,99}$")

HNSW_M = 32
"""HNSW degree of the run indexes (default of :func:`create_run_index`; Neo4j's own is 16)."""
HNSW_EF_CONSTRUCTION = 200
"""HNSW build beam of the run indexes (default of :func:`create_run_index`; Neo4j's own is 100)."""
HNSW_MIPS_M = 16
"""HNSW degree of the run's MIPS index (``recommend_realtime``)."""
HNSW_MIPS_EF_CONSTRUCTION = 1600
"""HNSW build beam of the run's MIPS index. Trained vectors have heavy-tailed norms (``graph`` on lastfm-2k:
median 0.01, largest 0.59), so most MIPS-augmented items crowd near the extra axis and a graph built with a
narrow beam cannot be searched: recall@20 0.50 at m 32 / ef_construction 200, 0.97 at 16 / 1600 (BENCHMARKS.md,
HNSW, lastfm-2k graph vectors)."""


def create_run_index(driver: Driver, name: str, label: str, key: str, dim: int, m: int = HNSW_M,
                     ef_construction: int = HNSW_EF_CONSTRUCTION) -> None:
    """Create the unquantised cosine vector index ``name`` on ``label.key``.

    ``m`` and ``ef_construction`` are the HNSW graph's degree and build beam (Neo4j's defaults are
    16 and 100); the defaults were chosen by ``python -m benchmarks.hnsw_bench``, which
    measures build time and recall@20 against exact top-20 for a grid of them (BENCHMARKS.md).

    Raises:
        ValueError: ``key`` is not a generated run property name.
    """
    if not _PROPERTY.match(key):
        raise ValueError(f"{key!r} is not a run property name")
    text = render("writeback/create_run_index", label=label).replace("__RUN_PROPERTY__", key)
    write(driver, text, {"name": name, "dim": dim, "m": m, "ef_construction": ef_construction})


def drop_index(driver: Driver, name: str) -> None:
    """Drop an index by name if it exists."""
    write(driver, load_query("writeback/drop_index"), {"name": name})


def await_index(driver: Driver, name: str, seconds: int = 600) -> None:
    """Wait until index ``name`` is online (vector indexes populate asynchronously)."""
    write(driver, load_query("writeback/await_index"), {"name": name, "seconds": seconds})
