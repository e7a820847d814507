"""The one best-of search every model's selection uses."""

from __future__ import annotations

from collections.abc import Callable

from graphrec.train.search import Best, climb, search


def test_search_keeps_the_highest_score_and_the_earlier_of_ties() -> None:
    tried: list[int] = []

    def trial(c: int) -> dict[str, float]:
        tried.append(c)
        return {"s": {1: 0.2, 2: 0.5, 3: 0.5, 4: 0.1}[c]}

    best = search([1, 2, 3, 4], trial, lambda r: r["s"])
    assert tried == [1, 2, 3, 4]
    assert (best.candidate, best.score) == (2, 0.5) and best.result == {"s": 0.5}


def test_an_incumbent_must_be_beaten() -> None:
    incumbent: Best[str, float] = Best("kept", 0.9, 0.9)
    assert search(["a", "b"], lambda c: 0.5, lambda r: r, best=incumbent) is incumbent
    won = search(["a", "b"], lambda c: 1.0 if c == "b" else 0.0, lambda r: r, best=incumbent)
    assert won.candidate == "b"


def test_no_candidates_gives_no_winner() -> None:
    assert search([], lambda c: c, float).candidate is None


def test_patience_stops_past_the_peak() -> None:
    tried: list[int] = []
    curve = {1: 0.1, 2: 0.4, 3: 0.3, 4: 0.2, 5: 0.9}

    def trial(c: int) -> float:
        tried.append(c)
        return curve[c]

    assert search([1, 2, 3, 4, 5], trial, float, patience=2).candidate == 2
    assert tried == [1, 2, 3, 4]
    tried.clear()
    assert search([1, 2, 3, 4, 5], trial, float).candidate == 5 and tried == [1, 2, 3, 4, 5]
    tried.clear()
    incumbent: Best[int, float] = Best(0, 0.5, 0.5)          # no candidate beats it: one miss is enough
    assert search([1, 2, 3], trial, float, best=incumbent, patience=1) is incumbent and tried == [1]


def test_stop_ends_the_search_after_the_first_result_it_holds_for() -> None:
    tried: list[int] = []
    cost = {0: 0.0, 1: 0.0, 2: 0.02, 3: 0.05, 4: 0.01}          # the budget is 0.03
    gain = {0: 0.0, 1: 0.1, 2: 0.3, 3: 0.9, 4: 0.95}

    def trial(c: int) -> tuple[float, float]:
        tried.append(c)
        return gain[c], cost[c]

    def within(r: tuple[float, float]) -> float:
        return r[0] if r[1] <= 0.03 else float("-inf")

    best = search([0, 1, 2, 3, 4], trial, within, stop=lambda r: r[1] > 0.03)
    assert best.candidate == 2 and tried == [0, 1, 2, 3]        # 3 overspends: 4 is never tried
    tried.clear()
    assert search([0, 1, 2, 3, 4], trial, within).candidate == 4 and tried == [0, 1, 2, 3, 4]


def test_climb_walks_from_the_middle_to_the_peak_either_way() -> None:
    tried: list[int] = []

    def on(curve: dict[int, float]) -> Callable[[int], float]:
        def trial(c: int) -> float:
            tried.append(c)
            return curve[c]
        return trial

    rising = {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.5, 5: 0.4}          # peak above the start: up, one miss, no way down
    assert climb([1, 2, 3, 4, 5], 2, on(rising), float).candidate == 4 and tried == [3, 4, 5]
    tried.clear()
    falling = {1: 0.1, 2: 0.6, 3: 0.5, 4: 0.2, 5: 0.1}         # peak below: one miss up, then down to one miss
    best = climb([1, 2, 3, 4, 5], 2, on(falling), float)
    assert (best.candidate, best.result, tried) == (2, 0.6, [3, 4, 2, 1])
    for curve in (rising, falling, {1: 0.9, 2: 0.5, 3: 0.4, 4: 0.3, 5: 0.2}):   # the peak search over all finds
        for start in range(5):
            assert climb([1, 2, 3, 4, 5], start, on(curve), float).candidate == \
                search([1, 2, 3, 4, 5], on(curve), float).candidate
    assert climb([], 0, on(rising), float).candidate is None
