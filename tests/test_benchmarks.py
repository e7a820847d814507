"""``benchmarks/`` sits beside the package: ``make bench`` names modules that exist, and datasets are found
through graphrec's ``data_dir`` setting, not through the folder the checkout happens to sit in."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from benchmarks.common import data_dir

ROOT = Path(__file__).resolve().parents[1]


def test_make_bench_runs_modules_that_exist() -> None:
    target = ROOT.joinpath("Makefile").read_text().split("\nbench:", 1)[1].split("\n\n", 1)[0]
    modules = re.findall(r"-m (benchmarks\.\w+)", target)
    assert "benchmarks.serve_bench" in modules and "benchmarks.hnsw_bench" in modules
    for name in modules:
        assert callable(importlib.import_module(name).main), name


def test_data_dir_follows_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHREC_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path


def test_tail_bench_table_reads_each_swap_count_against_none() -> None:
    from benchmarks.tail_bench import _table

    def fig(recall: float, coverage: float) -> dict[str, float]:
        return {"recall@20": recall, "ndcg@20": recall, "coverage@20": coverage, "gini@20": 0.9, "pop@20": 0.9}

    curves = [{0: fig(0.30, 0.20), 2: fig(0.29, 0.30)}, {0: fig(0.32, 0.20), 2: fig(0.31, 0.32)}]
    rows = _table(curves, [0, 2]).splitlines()
    assert rows[2].startswith("| 0 | 0.3100 ± 0.0141 |") and "| 100.0% |" in rows[2] and "| 1.00× |" in rows[2]
    assert rows[3].startswith("| 2 | 0.3000 ± 0.0141 |") and "| 96.8% |" in rows[3] and "| 1.55× |" in rows[3]
    assert _table(curves, [2, 0]).splitlines()[3].startswith("| 0 | 0.3100 ± 0.0141 | 0.3100 ± 0.0141 | 103.3% |")


def test_tail_bench_refuses_without_a_loaded_database(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.tail_bench import main

    monkeypatch.delenv("GRAPHREC_BENCH_NEO4J_URI", raising=False)
    assert main(["--name", "x"]) == 2
    assert "GRAPHREC_BENCH_NEO4J_URI" in capsys.readouterr().err


def test_cold_serve_bench_reads_each_route_against_the_exact_one() -> None:
    from benchmarks.cold_serve_bench import _table

    def fig(cold: float, full: float) -> dict[str, float]:
        return {"cold recall@20": cold, "cold ndcg@20": cold, "all recall@20": full, "all ndcg@20": full}

    runs = [{"exact": fig(0.30, 0.0), "vectors": fig(0.30, 0.0), "refresh": fig(0.27, 0.01)},
            {"exact": fig(0.32, 0.0), "vectors": fig(0.30, 0.0), "refresh": fig(0.29, 0.01)}]
    rows = _table(runs).splitlines()
    assert rows[2].startswith("| exact | 0.3100 ± 0.0141 |") and rows[2].endswith("| 100% |")
    assert rows[3].startswith("| vectors | 0.3000 ± 0.0000 |") and rows[3].endswith("| 97% |")
    assert "| 0.0100 ± 0.0000 |" in rows[4] and rows[4].endswith("| 90% |")


def test_cold_serve_bench_gives_a_new_item_refreshs_vector() -> None:
    import torch

    from benchmarks.cold_serve_bench import _refreshed

    emb = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0], [9.0, 9.0], [5.0, 5.0]])
    cold = torch.tensor([3, 4])
    routes = [[[(0, 1.0), (1, 3.0)], [(2, 1.0)]], []]      # item 3: two routes; item 4: none
    out = _refreshed(emb, cold, routes)
    # entities: (1·[1, 0] + 3·[0, 2]) / 4 = [0.25, 1.5]; text: [3, 0]; the two routes averaged
    assert torch.allclose(out[3], torch.tensor([1.625, 0.75])) and out[4].abs().sum() == 0
    assert torch.equal(out[:3], emb[:3])


def test_cold_serve_bench_refuses_without_a_loaded_database(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.cold_serve_bench import main

    monkeypatch.delenv("GRAPHREC_BENCH_NEO4J_URI", raising=False)
    assert main(["--name", "x"]) == 2
    assert "GRAPHREC_BENCH_NEO4J_URI" in capsys.readouterr().err


def test_rerank_bench_reranks_a_shared_head_and_reports_its_memory() -> None:
    from benchmarks.rerank_bench import _table, child

    got = child(300, 2_000, 3)
    assert got["users"] == 300 and got["window_mib"] == pytest.approx(300 * 100 * (8 + 4) / 2**20)
    assert got["coverage_before"] < 0.5 < got["coverage_after"]     # the head shared, then widened
    assert got["rss_after_mib"] >= got["rss_before_mib"] > 0
    assert "| 300 | 2,000 | 3 |" in _table([got])
