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
