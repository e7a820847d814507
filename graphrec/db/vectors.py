"""Vectors as write rows: each vector as one string of decimals, which Neo4j decodes faster than a list of
PackStream floats (``benchmarks.serve_bench`` measures both). Used by publish and by ``embed-text``. Also the one
lookup of a label's text vector index (:func:`text_index`), used by the recommend queries and by refresh."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from neo4j import Driver
from torch import Tensor

from graphrec.db.driver import read
from graphrec.db.queries import load_query
from graphrec.mapping import DEFAULT_MAPPING
from graphrec.types import Row


def text_index(driver: Driver, label: str = DEFAULT_MAPPING.item.label) -> str | None:
    """Name of the vector index on ``label.text_embedding`` (what ``embed-text`` creates, or one of yours), if
    there is one."""
    for rec in read(driver, load_query("writeback/vector_indexes")):
        if rec["label"] == label and rec["property"] == "text_embedding":
            return str(rec["name"])
    return None


def vector_rows(ids: Sequence[str], emb: Tensor, extra: Tensor | None = None) -> Iterator[Row]:
    """Rows ``{id, s}`` for :func:`graphrec.writeback.vectors.write_vectors` (and embed-text), converted lazily.

    ``s`` is the vector as comma-separated decimals (``%.8g``: float32 precision), parsed by the
    server with ``split``/``toFloat``: Neo4j decodes one string several times faster than a list of
    PackStream floats, which is what bounds write-back (``benchmarks.serve_bench`` measures
    both). ``e`` is the MIPS coordinate ``extra[:, -1]`` when given.
    """
    chunk = 4096
    fmt = ",".join(["%.8g"] * int(emb.size(1)))
    for start in range(0, len(ids), chunk):
        vs = emb[start:start + chunk].detach().float().cpu().tolist()
        es = extra[start:start + chunk, -1].tolist() if extra is not None else None
        for j, v in enumerate(vs):
            row: Row = {"id": ids[start + j], "s": fmt % tuple(v)}
            if es is not None:
                row["e"] = es[j]
            yield row
