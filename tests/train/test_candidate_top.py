"""The sparse path's write-back top-K among candidates (:meth:`Operator.top_among`), exact over them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
import torch

import graphrec.train.linear as linear
from graphrec.ranking import top_unseen
from graphrec.train import TrainConfig, fit
from graphrec.train.operator import Operator, _best_per_row
from tests.train.test_scalable_path import TINY_GB, _dense_taste_graph


def _operator(n: int = 40, seed: int = 0) -> tuple[Operator, sp.csr_matrix, tuple[torch.Tensor, torch.Tensor]]:
    rng = np.random.default_rng(seed)
    b = sp.random(n, n, density=0.08, random_state=seed, format="csr", dtype=np.float32)
    rows = sp.random(6, n, density=0.1, random_state=seed + 1, format="csr", dtype=np.float32).tolil()
    for u in range(6):                      # every user has an item: no row of all-tied zero scores
        rows[u, (7 * u) % n] = 1.0
    rows = rows.tocsr()
    rows.data[:] = 1.0
    left = torch.from_numpy(rng.standard_normal((n, 3)).astype(np.float32))
    right = torch.from_numpy(rng.standard_normal((n, 3)).astype(np.float32))
    op = Operator(b, [(left, right, 0.05)], b_scale=2.0)
    coo = rows.tocoo()
    return op, rows, (torch.from_numpy(coo.row.astype(np.int64)), torch.from_numpy(coo.col.astype(np.int64)))


def test_every_item_a_candidate_gives_the_exact_top_k() -> None:
    op, rows, seen = _operator()
    items, scores = op.top_among(rows, np.arange(rows.shape[1]), seen, 5)
    want_i, want_s = top_unseen(op.apply(rows), seen[0], seen[1], 5)
    assert torch.equal(items, want_i)
    assert torch.allclose(scores, want_s, atol=1e-5)


def test_candidates_are_the_reached_items_scored_exactly() -> None:
    op, rows, seen = _operator(seed=3)
    items, scores = op.top_among(rows, np.array([], dtype=np.int64), seen, 4)
    full = op.apply(rows)
    reach = (rows @ op.b).tocsr()
    seen_set = set(zip(seen[0].tolist(), seen[1].tolist(), strict=True))
    for u in range(rows.shape[0]):
        cand = [int(i) for i in reach[u].indices if (u, int(i)) not in seen_set]
        want = sorted(cand, key=lambda i: -float(full[u, i]))[:4]
        got = [int(i) for i in items[u] if i >= 0]
        assert got == want                                          # best first, only reached, unseen items
        assert torch.allclose(scores[u, :len(got)], full[u, got], atol=1e-5)


def test_fit_uses_candidates_above_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linear, "DENSE_TOPK_FLOPS", 0.0)
    graph = _dense_taste_graph()
    cfg = replace(TrainConfig(dim=8, out_dir=None), lam=20.0, memory_gb=TINY_GB, neighbours=6, filter=False)
    art = fit(graph, cfg, progress=False)
    assert art.info["refit"]["top_k"] == "candidates"
    share = art.info["refit"][f"top_k_agreement@{min(20, cfg.top_k)}"]       # checked against the exact top-K
    assert 0.0 < share <= 1.0
    assert art.top_items is not None
    seen = set(zip(art.exclude[0].tolist(), art.exclude[1].tolist(), strict=True))
    picks = [(u, int(i)) for u in range(graph.num_users) for i in art.top_items[u] if i >= 0]
    assert picks and not seen & set(picks)


def test_a_long_top_k_reports_its_pace(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib

    fit_module = importlib.import_module("graphrec.train.fit")

    monkeypatch.setattr(fit_module, "TOP_PROGRESS_S", 0.0)
    scores = torch.arange(40.0).repeat(10, 1)
    exclude = torch.tensor([[0, 3], [39, 0]])
    items, _ = fit_module.top_scored(lambda u: scores[u], 10, exclude, 2, batch_size=4, label="m: top-2")
    assert items[0].tolist() == [38, 37] and items[3].tolist() == [39, 38]
    lines = capsys.readouterr().err.strip().splitlines()
    assert [ln.split(":")[2].split("(")[0].strip() for ln in lines] == ["4 / 10 users", "8 / 10 users"]
    fit_module.top_scored(lambda u: scores[u], 10, exclude, 2, batch_size=4)      # no label: silent
    assert capsys.readouterr().err == ""


def test_reach_keeps_each_users_best_sparse_scores_then_scores_them_exactly() -> None:
    op, rows, seen = _operator(n=60, seed=5)
    extra = np.array([2, 9])
    items, scores = op.top_among(rows, extra, seen, 3, reach=4)
    full, sparse = op.apply(rows), (rows @ op.b).toarray()
    seen_set = set(zip(seen[0].tolist(), seen[1].tolist(), strict=True))
    pruned = 0
    for u in range(rows.shape[0]):
        own = sum(1 for v, _ in seen_set if v == u)     # room is kept for the user's own items, left out after
        reached = [i for i in np.flatnonzero(sparse[u]) if i not in extra]
        pruned += len(reached) > 4 + own
        kept = [i for i in sorted(reached, key=lambda i: -sparse[u, i])[:4 + own] if (u, i) not in seen_set]
        assert len(kept) >= min(4, len([i for i in reached if (u, i) not in seen_set]))
        cand = kept + [i for i in extra.tolist() if (u, i) not in seen_set]
        want = sorted(cand, key=lambda i: -float(full[u, i]))[:3]
        got = [int(i) for i in items[u] if i >= 0]
        assert got == want
        assert torch.allclose(scores[u, :len(got)], full[u, got], atol=1e-5)
    assert pruned                                   # the cut did bind for some user


def test_agreement_is_the_share_of_the_exact_top_k_the_candidates_find() -> None:
    import importlib

    fit_module = importlib.import_module("graphrec.train.fit")
    op, rows, seen = _operator(n=60, seed=7)
    op.lows = [(left, right, 5.0) for left, right, _ in op.lows]     # items B does not reach rank high too
    exclude = torch.stack(seen)

    def score(users: torch.Tensor) -> torch.Tensor:
        return op.apply(rows[users.numpy()])

    def top_of(reach: int, extra: np.ndarray) -> fit_module.TopK:
        def top(users: torch.Tensor, s: tuple[torch.Tensor, torch.Tensor], k: int) -> tuple[torch.Tensor, torch.Tensor]:
            return op.top_among(rows[users.numpy()], extra, s, k, reach=reach)
        return top

    every = top_of(60, np.arange(60))
    assert fit_module.top_agreement(score, every, rows.shape[0], exclude, 5, 0) == 1.0
    narrow = fit_module.top_agreement(score, top_of(1, np.array([], dtype=np.int64)), rows.shape[0], exclude, 5, 0)
    items, _ = top_of(1, np.array([], dtype=np.int64))(torch.arange(6), seen, 5)
    exact, _ = top_unseen(op.apply(rows), seen[0], seen[1], 5)
    want = np.mean([len(set(items[u].tolist()) & set(exact[u].tolist()) - {-1}) / 5 for u in range(6)])
    assert narrow == pytest.approx(want) and narrow < 1.0


def test_best_per_row_keeps_each_rows_largest_within_its_cap_less_the_dropped() -> None:
    m = sp.random(5, 30, density=0.4, random_state=3, format="csr", dtype=np.float32)
    drop = np.zeros(m.nnz, dtype=bool)
    drop[::4] = True                                           # e.g. entries for the items every user gets anyway
    caps = np.array([2, 100, 5, 1, 3])
    cols, vals = _best_per_row(m, drop, caps)
    for r in range(5):
        lo, hi = m.indptr[r], m.indptr[r + 1]
        kept = [(float(v), int(c)) for v, c, d in zip(m.data[lo:hi], m.indices[lo:hi], drop[lo:hi], strict=True)
                if not d]
        want = sorted(kept, reverse=True)[:caps[r]]
        got = sorted(((float(v), int(c)) for v, c in zip(vals[r], cols[r], strict=True) if c >= 0), reverse=True)
        assert got == want
        assert (cols[r] >= 0).sum() == min(caps[r], len(kept))
