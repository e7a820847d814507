"""Numbers and names a user types are refused in one line, exit code 2, before any query (issue 22, item 9):
``-k`` is bounded by the HTTP API's cap, ``--diverse`` must be positive, ``min_weight`` finite; a bad
``--interactions``, ``embed-text --label`` or TOML file is bad input (2, not 1), and a huge value is not
echoed whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import Driver

from graphrec.errors import InputError
from graphrec.recommend import MAX_K, diverse, recommend
from tests.gds.test_fastrp import COMMUNITIES
from tests.ingest.conftest import RunCli

pytestmark = pytest.mark.neo4j

MAPPING = Path(__file__).parents[1] / "mapping" / "mapping.toml"


def _one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphrec: error: ") and "Traceback" not in output, output
    return lines[0]


@pytest.mark.parametrize("args", [
    ["recommend", "1", "-k", "99999999999999999999"],
    ["recommend", "1", "-k", "1000000000000", "--realtime"],
    ["recommend", "1", "-k", str(MAX_K + 1)],
    ["recommend", "1", "-k", "0"],
    ["similar", "1", "-k", "1000000000000"],
    ["cold-start", "--items", "1", "-k", "1000000000000"],
    ["recommend", "1", "--diverse", "-3"],
    ["recommend", "1", "--diverse", "0"],
], ids=["k-overflow", "k-realtime", "k-cap", "k-0", "similar", "cold-start", "diverse-neg", "diverse-0"])
def test_out_of_range_numbers_are_one_line_exit_2(db: Driver, run_cli: RunCli, args: list[str]) -> None:
    res = run_cli(*args)
    assert res.exit_code == 2, res.output
    line = _one_line(res.output)
    assert ("'-k'" in line or "'--diverse'" in line) and "range" in line, line


def test_the_library_bounds_k_and_cap_too(db: Driver) -> None:
    with pytest.raises(InputError, match=f"k: must be an integer from 1 to {MAX_K:,}, got 1000000000000"):
        recommend(db, "1", k=10**12)
    with pytest.raises(InputError, match="cap: must be an integer from 1 to"):
        diverse(db, "1", k=5, cap=-3)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "1" + "0" * 400])
def test_a_min_weight_that_is_not_finite_is_refused(run_cli: RunCli, tmp_path: Path, value: str) -> None:
    toml = tmp_path / "graphrec.toml"
    toml.write_text(MAPPING.read_text().replace("min_weight = 4", f"min_weight = {value}"))
    res = run_cli("--config", str(toml), "runs", "list")
    assert res.exit_code == 2, res.output
    assert "behaviours.REVIEWED.min_weight: expected a finite number" in _one_line(res.output)


def test_a_toml_syntax_error_is_exit_2(run_cli: RunCli, tmp_path: Path) -> None:
    toml = tmp_path / "graphrec.toml"
    toml.write_text("batch_size = = 3\n")
    res = run_cli("--config", str(toml), "runs", "list")
    assert res.exit_code == 2, res.output
    assert f"graphrec: error: {toml}: " in _one_line(res.output)


def test_a_bad_interactions_flag_is_exit_2(db: Driver, run_cli: RunCli) -> None:
    db.execute_query(COMMUNITIES)
    res = run_cli("-q", "train", "--model", "popularity", "--interactions", "PURCHASED")
    assert res.exit_code == 2, res.output
    assert "--interactions: PURCHASED is not a behaviour" in _one_line(res.output)


def test_a_huge_label_is_not_echoed_whole(db: Driver, run_cli: RunCli) -> None:
    label = "L" * 100_000
    res = run_cli("embed-text", "--label", label)
    assert res.exit_code == 2, res.output
    line = _one_line(res.output)
    assert len(line) < 300 and "--label must be one of" in line and "(100,002 characters)" in line
    # any message is cut at ERROR_CHARS: an unknown user's id is echoed back by the library
    res = run_cli("recommend", "U" * 100_000)
    line = _one_line(res.output)
    assert res.exit_code == 2 and len(line) < 1100 and line.endswith("characters)"), line[:200]
