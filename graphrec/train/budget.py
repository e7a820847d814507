"""The selection's budget, estimated before it starts: solves × the cost of one solve on this machine.

The cost of a solve is counted in floating-point operations and divided by this machine's rate for the kind
of work it is, measured once per process on a small case: a dense ``items³`` solve runs at matrix–matrix speed,
the sparse path's batched conjugate gradients at batched matrix–vector speed (bound by memory, not arithmetic).
It is an estimate (within a factor of about two on the benchmarks' machines); the trial lines that follow say
what each solve took.
"""

from __future__ import annotations

import functools
import time

import torch

from graphrec.nn.scalable import CG_STEPS

_SETUP_STEPS = 8
"""The sparse solve's gathering and bordering of each system, counted as this many matrix–vector products."""


def _rate(work: int, run: functools.partial[torch.Tensor]) -> float:
    run()                                   # warm-up
    t0 = time.perf_counter()
    run()
    return work / max(time.perf_counter() - t0, 1e-6)


@functools.cache
def gemm_rate() -> float:
    """Flop/s of a 768² float32 matrix product here."""
    a = torch.randn(768, 768)
    return _rate(2 * 768 ** 3, functools.partial(torch.mm, a, a))


@functools.cache
def bmv_rate() -> float:
    """Flop/s of a batch of 256 matrix–vector products of width 192 here (memory-bound)."""
    a, x = torch.randn(256, 192, 192), torch.randn(256, 192, 1)
    return _rate(2 * 256 * 192 ** 2, functools.partial(torch.bmm, a, x))


def solve_seconds(path: str, items: int, width: int) -> float:
    """Estimated seconds of one solve: dense (``items³``) or sparse (``items`` systems of ``width``)."""
    if path == "dense":
        return float(items) ** 3 / gemm_rate()
    return items * (CG_STEPS + _SETUP_STEPS) * 2.0 * width ** 2 / bmv_rate()


def budget_line(model: str, path: str, items: int, width: int, solves: int, others: int) -> str:
    """``graph: selection budget ≤ 8 solves × ≈ 9 s (sparse, 10,000 items, width 192) ≈ 72 s, + 9 trials
    without a solve``."""
    each = solve_seconds(path, items, width)
    shape = f"{path}, {items:,} items" + (f", width {width}" if path == "sparse" else "")
    tail = f", + {others} trials without a solve" if others else ""
    return (f"{model}: selection budget ≤ {solves} solves × ≈ {each:.1f} s ({shape}) ≈ {solves * each:.0f} s"
            f"{tail}")
