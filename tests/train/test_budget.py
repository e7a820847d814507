"""The selection budget printed before ``graph``'s search starts: an upper bound on the solves that follow."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from graphrec.train import TrainConfig, fit
from graphrec.train.budget import solve_seconds
from tests.train.conftest import tiny_graph
from tests.train.test_scalable_path import TINY_GB

SOLVE_LINE = re.compile(r"^\s+graph (λ|λ ↓|behaviours|entities|text) \d+:", re.M)


@pytest.mark.parametrize("memory_gb", [None, TINY_GB])
def test_the_budget_bounds_the_solves_it_announces(memory_gb: float | None,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    cfg = replace(TrainConfig(dim=8, out_dir=None), memory_gb=memory_gb, filter=False)
    fit(tiny_graph(), cfg, progress=True)
    err = capsys.readouterr().err
    found = re.search(r"graph: selection budget ≤ (\d+) solves × ≈ [\d.]+ s \((dense|sparse), 30 items.*?"
                      r"(?:\+ (\d+) trials without a solve)?$", err, re.M)
    assert found, err
    assert found.group(2) == ("sparse" if memory_gb else "dense")
    assert err.index(found.group(0)) < err.index("graph λ 1:")       # announced before the first trial
    trials = len(SOLVE_LINE.findall(err))
    announced, cheap = int(found.group(1)), int(found.group(3) or 0)
    if memory_gb is None:       # 3 carves × (5 λ + 2 text) solves at most, the entities (6 rows) by Woodbury; λ is
        assert (announced, cheap) == (3 * 7, 3 * 3)                     # climbed from the middle: 3 or 4 per carve
        assert 3 * (3 + 2) <= trials - cheap <= announced
    else:                       # the sparse one solves each trial, and may stop a step early
        assert cheap == 0 and 0 < trials <= announced == 3 * (5 + 3 + 2)
    assert solve_seconds("dense", 2000, 0) > 7 * solve_seconds("dense", 1000, 0)
