"""The selection's budget, estimated before it starts: solves × the cost of one solve on this machine.

The cost of a solve is counted in floating-point operations and divided by this machine's rate for the kind
of work it is, measured once per process on a small case: a dense ``items³`` solve runs at matrix–matrix speed;
the sparse path's cost per item column is timed on one real batch of neighbourhood systems of the same width
(gathering each system from the neighbour lists, then conjugate gradients: a flop count of the gradients alone
read a third of a 1M-item trial's solve). It is an estimate; the trial lines that follow say what each trial took
(its validation pass included).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import torch

from graphrec.nn.scalable import NeighbourGram, neighbourhood_solve


def _rate(work: int, run: Callable[[], object]) -> float:
    run()                                   # warm-up
    t0 = time.perf_counter()
    run()
    return work / max(time.perf_counter() - t0, 1e-6)


@functools.cache
def gemm_rate() -> float:
    """Flop/s of a 768² float32 matrix product here."""
    a = torch.randn(768, 768)
    return _rate(2 * 768 ** 3, functools.partial(torch.mm, a, a))


SPARSE_PROBE_COLUMNS = 128
"""Columns of the one batch that times a sparse solve's width."""


@functools.cache
def sparse_column_seconds(width: int) -> float:
    """Seconds per item column of a sparse solve of ``width`` unknowns here, by conjugate gradients (the path's
    method at scale): one batch of :data:`SPARSE_PROBE_COLUMNS` systems over banded neighbour lists, after a
    warm-up batch."""
    n = max(4 * width, 2 * SPARSE_PROBE_COLUMNS)
    offsets = torch.arange(1, width + 1)
    nbr = torch.sort((torch.arange(n).unsqueeze(1) + offsets) % n, dim=1).values.int()   # as neighbour_gram's
    vals = torch.rand(1, n, width, generator=torch.Generator().manual_seed(0))
    gram = NeighbourGram(nbr, vals, torch.full((1, n), float(width)))
    solve = functools.partial(neighbourhood_solve, gram, [1.0], 1.0, batch=SPARSE_PROBE_COLUMNS,
                              columns=torch.arange(SPARSE_PROBE_COLUMNS), direct=False)
    return 1.0 / _rate(SPARSE_PROBE_COLUMNS, solve)


def solve_seconds(path: str, items: int, width: int) -> float:
    """Estimated seconds of one solve: dense (``items³``) or sparse (``items`` systems of ``width``)."""
    if path == "dense":
        return float(items) ** 3 / gemm_rate()
    return items * sparse_column_seconds(width)


def budget_line(model: str, path: str, items: int, width: int, solves: int, others: int, refits: int = 0) -> str:
    """``graph: selection budget ≤ 8 solves × ≈ 9 s (sparse, 10,000 items, width 192) ≈ 72 s, + 9 trials
    without a solve`` (with ``refits``: ``(dense, 17,632 items; 2 of them refits for the cold-start and debiasing
    stages)``)."""
    each = solve_seconds(path, items, width)
    shape = f"{path}, {items:,} items" + (f", width {width}" if path == "sparse" else "")
    shape += f"; {refits} of them refits for the cold-start and debiasing stages" if refits else ""
    tail = f", + {others} trials without a solve" if others else ""
    return (f"{model}: selection budget ≤ {solves} solves × ≈ {each:.1f} s ({shape}) ≈ {solves * each:.0f} s"
            f"{tail}")
