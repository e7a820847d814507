"""Vectors as write rows: each vector as one string of decimals, which Neo4j decodes faster than a list of
PackStream floats (``benchmarks.serve_bench`` measures both). Used by publish and by ``embed-text``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from torch import Tensor

from graphrec.types import Row


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
