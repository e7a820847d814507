"""The selection budget printed before ``graph``'s search starts: an upper bound on the solves that follow."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from graphrec.train import TrainConfig, fit
from graphrec.train.budget import solve_seconds
from graphrec.train.cold_users import needs_blend
from graphrec.train.protocols import apply_protocol
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


BUDGET = re.compile(r"graph: selection budget ≤ (\d+) solves × ≈ [\d.]+ s \(dense, 30 items(?:; (\d+) of them refits "
                    r"for the cold-start and debiasing stages)?\)")


@pytest.mark.parametrize("pop_debias", [None, 0.01])
def test_the_budget_counts_the_cold_and_debiasing_refits(pop_debias: float | None,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    graph = apply_protocol(tiny_graph(), "cold-items", 0)        # items without a pair: the cold-item stage runs
    cfg = replace(TrainConfig(dim=8, out_dir=None), filter=False, pop_debias=pop_debias)
    fit(graph, cfg, progress=True)
    found = BUDGET.search(capsys.readouterr().err)
    assert found and found.group(2) is not None
    few = needs_blend(graph.train, graph.num_users)                 # the cold-user stage, where a user has ≤ 3
    refits = 1 + int(few) + int(pop_debias is not None)
    assert int(found.group(2)) == refits
    assert int(found.group(1)) == 3 * 7 + refits                    # the search's own bound (above) plus them


def test_above_search_items_a_full_rank_channel_counts_one_weight(capsys: pytest.CaptureFixture[str]) -> None:
    cfg = replace(TrainConfig(dim=8, out_dir=None), filter=False, search_items=10, cold_boost=None)
    fit(tiny_graph(), cfg, progress=True)
    err = capsys.readouterr().err
    found = BUDGET.search(err)
    assert found, err
    text_trials = len(re.findall(r"^\s+graph text \d+:", err, re.M))
    assert text_trials == 1                                          # the middle weight only, as the search does
    assert int(found.group(1)) - int(found.group(2) or 0) == 2 + 1   # λ 3× and 10× the mean degree, text once
