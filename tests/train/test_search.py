"""The one best-of search every model's selection uses."""

from __future__ import annotations

from graphrec.train.search import Best, search


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
