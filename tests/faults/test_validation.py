"""Validation where input enters: values Bolt cannot carry and out-of-range dates are refused with one line,
exit code 2, before anything is written (issue 10, failures 4 and 5)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from neo4j import Driver

from graphrec.errors import InputError
from graphrec.ingest.validate import INT64_MAX, INT64_MIN, Line, parse_int, parse_timestamp
from tests.ingest.conftest import ERROR_LINE, FIXTURES, RunCli

pytestmark = pytest.mark.neo4j


def _nodes(db: Driver) -> int:
    return int(db.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"])


def _csv_with(tmp_path: Path, name: str, line: int, text: str) -> Path:
    """The CSV fixture with line ``line`` (1-based, header = 1) of ``name`` replaced by ``text``."""
    folder = Path(shutil.copytree(FIXTURES / "csv", tmp_path / "csv"))
    lines = (folder / name).read_text().splitlines()
    lines[line - 1] = text
    (folder / name).write_text("\n".join(lines) + "\n")
    return folder


def _one_error_line(output: str) -> dict[str, str]:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    m = ERROR_LINE.match(lines[0])
    assert m, lines[0]
    return m.groupdict()


@pytest.mark.parametrize(("name", "line", "text", "field", "problem"), [
    # users.csv is written first: before the fix two User nodes landed, then an OverflowError traceback
    ("items.csv", 3, "i2,Kind of Blue,,99999999999999999999999,Miles Davis", "year", "64-bit"),
    ("items.csv", 3, f"i2,Kind of Blue,,{INT64_MIN - 1},Miles Davis", "year", "64-bit"),
    ("users.csv", 2, f"u1,{INT64_MAX + 1},FR", "age", "64-bit"),
    ("interactions.csv", 2, "u1,i1,rated,2024-05-01,1e999,train", "weight", "finite"),
    # ISO dates obey the epoch range (1970 .. 2100) like epoch seconds do
    ("interactions.csv", 2, "u1,i1,rated,0001-01-01,4.5,train", "timestamp", "outside 1970"),
    ("interactions.csv", 2, "u1,i1,rated,1969-12-31T23:59:59Z,4.5,train", "timestamp", "outside 1970"),
    ("interactions.csv", 2, "u1,i1,rated,2100-01-01,4.5,train", "timestamp", "outside 1970"),
    ("interactions.csv", 2, "u1,i1,rated,-1,4.5,train", "timestamp", "between 1970 and 2100"),
], ids=["int-huge", "int-below-min", "user-int", "float-inf", "iso-year-1", "iso-1969", "iso-2100", "epoch-neg"])
def test_out_of_range_value_is_one_line_exit_2_nothing_written(db: Driver, run_cli: RunCli, tmp_path: Path,
                                                                name: str, line: int, text: str, field: str,
                                                                problem: str) -> None:
    folder = _csv_with(tmp_path, name, line, text)
    result = run_cli("--quiet", "load", "csv", "--path", str(folder))
    assert result.exit_code == 2, result.output
    err = _one_error_line(result.output)
    assert (Path(err["file"]).name, int(err["line"]), err["field"]) == (name, line, field)
    assert problem in err["problem"]
    assert _nodes(db) == 0


def test_64_bit_extremes_load_exactly(db: Driver, run_cli: RunCli, tmp_path: Path) -> None:
    folder = _csv_with(tmp_path, "items.csv", 3, f"i2,Kind of Blue,,{INT64_MAX},Miles Davis")
    lines = (folder / "items.csv").read_text().splitlines()
    lines[4] = f"i4,Héliocentric,Solar jazz,{INT64_MIN},"
    (folder / "items.csv").write_text("\n".join(lines) + "\n")
    result = run_cli("--quiet", "load", "csv", "--path", str(folder))
    assert result.exit_code == 0, result.output
    years = {r["id"]: r["year"] for r in db.execute_query("MATCH (i:Item) RETURN i.id AS id, i.year AS year").records}
    assert years["i2"] == INT64_MAX and years["i4"] == INT64_MIN


def test_validator_bounds() -> None:
    ln = Line("f.csv", 7, [])
    assert parse_int(ln, "n", str(INT64_MAX)) == INT64_MAX
    with pytest.raises(InputError, match=r"f\.csv:7: n: 9223372036854775808 does not fit a 64-bit integer"):
        parse_int(ln, "n", str(INT64_MAX + 1))
    assert parse_timestamp(ln, "ts", "1970-01-01") == 0
    assert parse_timestamp(ln, "ts", "2099-12-31T23:59:59Z") == 4_102_444_799
    with pytest.raises(InputError, match="outside 1970"):
        parse_timestamp(ln, "ts", "1969-12-31T23:00:00+00:00")


@pytest.mark.parametrize("param", ["k=99999999999999999999", f"k={INT64_MIN - 1}", "vector=[1e999, 0.5]",
                                   "vector=[0.5, 99999999999999999999]"])
def test_query_parameter_bolt_cannot_carry_is_one_line_exit_2(run_cli: RunCli, param: str) -> None:
    result = run_cli("query", "cold_start_user" if param.startswith("vector") else "recommend", "-p", param)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphrec: error: -p: ") and "64-bit" in lines[0], result.output


def _with_column(path: Path, name: str, value: str) -> None:
    """Add column ``name`` (every row ``value``) to a CSV file."""
    lines = path.read_text().splitlines()
    path.write_text("\n".join([f"{lines[0]},{name}", *(f"{ln},{value}" for ln in lines[1:])]) + "\n")


@pytest.mark.parametrize("column", ["text_embedding", "text_hash", "embedding_graph_20260101t120000_abc123",
                                    "seen_ease_20260101t120000_0f0f0f"])
def test_a_column_onto_graphrec_s_own_property_is_refused(db: Driver, run_cli: RunCli, tmp_path: Path,
                                                          column: str) -> None:
    # issue 22, item 8: a text_embedding column loaded as a string, then train failed far from the cause
    folder = Path(shutil.copytree(FIXTURES / "csv", tmp_path / "csv"))
    _with_column(folder / "items.csv", column, "0.1")
    result = run_cli("--quiet", "load", "csv", "--path", str(folder))
    assert result.exit_code == 2, result.output
    err = _one_error_line(result.output)
    assert (Path(err["file"]).name, int(err["line"]), err["field"]) == ("items.csv", 1, column)
    assert err["problem"].startswith(f"graphrec writes the property '{column}' itself")
    assert _nodes(db) == 0


def test_a_kept_column_onto_graphrec_s_own_property_is_refused(db: Driver, run_cli: RunCli, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(FIXTURES / "movielens-current", tmp_path / "ml"))
    toml = folder / "movielens.toml"
    toml.write_text(toml.read_text().replace('title = "title"\n', 'title = "title"\nunknown = "keep"\n', 1))
    _with_column(folder / "movies.csv", "text_embedding", "x")
    result = run_cli("--quiet", "load", "csv", "--path", str(folder), "--mapping", str(toml))
    assert result.exit_code == 2, result.output
    err = _one_error_line(result.output)
    assert (Path(err["file"]).name, int(err["line"]), err["field"]) == ("movies.csv", 1, "text_embedding")
    assert "written by `graphrec embed-text`" in err["problem"]
    assert _nodes(db) == 0
    # an ordinary kept column still loads
    _with_column(folder / "movies.csv", "seen_at", "2024")
    (folder / "movies.csv").write_text((folder / "movies.csv").read_text().replace(",text_embedding", "")
                                       .replace(",x,2024", ",2024"))
    assert run_cli("--quiet", "load", "csv", "--path", str(folder), "--mapping", str(toml)).exit_code == 0
