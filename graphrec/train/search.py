"""The one best-of search that every model's selection uses: try candidates in order, keep the best.

``graph``, ``ease`` and ``als`` choose their settings by trying candidates on a validation carve; each step
(λ, a side channel's weight, the filter's rank and blend, ALS's grid) is one call of :func:`search` (or of
:func:`climb`, two such calls walking a one-peaked curve from its middle).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

C = TypeVar("C")
R = TypeVar("R")


@dataclass
class Best(Generic[C, R]):
    """The winning candidate, its trial's result and its score (``None`` fields: no candidate was tried)."""

    candidate: C | None = None
    result: R | None = None
    score: float = float("-inf")


def search(candidates: Iterable[C], trial: Callable[[C], R], score: Callable[[R], float],
           best: Best[C, R] | None = None, label: str = "", progress: bool = False,
           patience: int | None = None, stop: Callable[[R], bool] | None = None) -> Best[C, R]:
    """Run ``trial`` on each candidate in order and keep the one whose result scores highest.

    A later candidate must score strictly higher to win, so ties keep the earlier (simpler) one. Only the
    best result is kept alive beside the current one (a trial's result can be an ``items²`` matrix).

    Args:
        candidates: what to try, in order.
        trial: fits and scores one candidate.
        score: the criterion on a trial's result (higher is better).
        best: an incumbent from an earlier step that a candidate must beat (default: none).
        label: what is searched, for the progress lines (default: none).
        progress: print one line per trial on stderr: which trial, its score, the best so far, elapsed.
        patience: stop after this many candidates in a row fail to beat the best (for candidates ordered
            along a curve with one peak, e.g. ascending λ: past the peak they only fall); ``None`` tries all.

    Returns:
        The best candidate with its result and score (the incumbent when no candidate beats it).
    """
    best = best if best is not None else Best()
    t0 = time.perf_counter()
    misses = 0
    for j, cand in enumerate(candidates, 1):
        result = trial(cand)
        value = score(result)
        misses = 0 if value > best.score else misses + 1
        if value > best.score:
            best = Best(cand, result, value)
        if progress:
            print(f"  {label or 'trial'} {j}: {cand} → {value:.4f} (best {best.score:.4f}, "
                  f"{time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
        done = stop is not None and stop(result)
        del result
        if done or (patience is not None and misses >= patience):
            break
    return best


def climb(candidates: Sequence[C], start: int, trial: Callable[[C], R], score: Callable[[R], float],
          label: str = "", progress: bool = False) -> Best[C, R]:
    """:func:`search` along a curve with one peak (e.g. ascending λ), walked from ``candidates[start]``: up while a
    step beats the best, then — when the first step up did not — down while one does.

    Finds the peak :func:`search` over every candidate finds (for a one-peaked curve without ties) in
    ``|peak − start| + 2`` trials at most instead of all of them; where the curve has two peaks it keeps the one
    nearer ``start``. Ties keep the candidate tried first, which going down is the larger one.
    """
    if not candidates:
        return Best()
    start = min(max(start, 0), len(candidates) - 1)
    up = search(candidates[start:], trial, score, label=label, progress=progress, patience=1)
    if up.candidate != candidates[start] or start == 0:
        return up
    return search(list(reversed(candidates[:start])), trial, score, best=up, label=f"{label} ↓", progress=progress,
                  patience=1)
