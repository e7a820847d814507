"""One deliberate thread setting for torch (and what it calls): ``--threads`` / ``GRAPHREC_THREADS``."""

from __future__ import annotations

import os

import torch


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, not the host's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def set_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads to ``threads`` (``None`` or ``0`` = :func:`available_cores`).

    Inter-op threads are set to the same number when torch still allows it (only before its first
    parallel work). Returns the number set.

    Raises:
        ValueError: ``threads`` is negative.
    """
    if threads is not None and threads < 0:
        raise ValueError(f"threads must be >= 0, got {threads}")
    n = threads or available_cores()
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(n)
    except RuntimeError:
        pass   # already fixed by earlier parallel work in this process
    return n
