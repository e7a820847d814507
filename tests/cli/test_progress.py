"""Long work shows progress on stderr (``--quiet`` silences it); ``evaluate`` says what each model is about to
do, and Ctrl-C keeps the rows finished so far (exit 130)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner, Result
from neo4j import Driver

from graphrec.cli.main import cli
from graphrec.config import Settings
from tests.cli.test_train_cli import TAGS
from tests.gds.test_fastrp import COMMUNITIES


@pytest.fixture
def communities(db: Driver) -> Driver:
    """16 users, 12 items in two taste communities; 80 RATED (16 of them stored as test) and some TAGGED."""
    db.execute_query(COMMUNITIES)
    db.execute_query(TAGS)
    return db


def _base(settings: Settings) -> list[str]:
    return ["--uri", settings.uri, "--password", settings.password or ""]


def _run(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(cli, [*_base(settings), *args])


def test_train_shows_each_stage_on_stderr_and_quiet_silences_it(communities: Driver,
                                                                 neo4j_settings: Settings) -> None:
    res = _run(neo4j_settings, "train", "--interactions", "RATED")
    assert res.exit_code == 0, res.output
    err = res.stderr
    bar = re.search(r"stream-out: 100%\|.*?\| (\d+)/(\d+) \[", err)   # tqdm: every relationship streamed, counted
    assert bar is not None and bar[1] == bar[2] == re.search(r"· (\d+) relationships streamed", err)[1], err  # type: ignore[index]
    assert re.search(r"^  graph λ 1: \S+ → \d\.\d{4} \(best \d\.\d{4}, \d+ s\)$", err, re.M), err
    assert re.search(r"^  graph: selected in \d+\.\d s; refit on 80 pairs…$", err, re.M), err
    assert re.search(r"^  graph: refit in \d+\.\d s$", err, re.M), err
    assert "  graph: top-100 of 16 users…\n" in err and re.search(r"^  graph: top-100 in \d+\.\d s$", err, re.M)
    assert "publish " in err                                         # the publish bars
    assert "graph: learnt from 80 interactions" in res.stdout and "top-20" not in res.stdout
    quiet = _run(neo4j_settings, "--quiet", "train", "--interactions", "RATED")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""


def test_evaluate_says_what_each_model_will_do(communities: Driver, neo4j_settings: Settings) -> None:
    res = _run(neo4j_settings, "evaluate", "--models", "popularity,ease,graph,lightgcn", "--epochs", "2",
               "--interactions", "RATED", "--k", "2")
    assert res.exit_code == 0, res.output
    lines = res.stderr.splitlines()
    raw = [ln for ln in lines if ": starting on " in ln]
    starts = [re.sub(r"; one solve ≈ [\d.]+ s here", "", ln) for ln in raw]
    assert len([ln for ln in raw if re.search(r"^(ease|graph): .*; one solve ≈ [\d.]+ s here$", ln)]) == 2
    assert starts[:2] == ["popularity: starting on 16 users × 12 items, 64 training pairs; item counts, no selection",
                          "ease: starting on 16 users × 12 items, 64 training pairs; dense path (0.0 GiB; each λ "
                          "trial one O(items³) solve); up to 4 selection trials (4 λ)"]
    assert starts[3] == ("lightgcn: starting on 16 users × 12 items, 64 training pairs; BPR: up to 2 epochs of 1 "
                         "full-graph steps (validation every 5, stopping after 5 without improvement), then the "
                         "chosen epochs again on train + valid")
    assert starts[2] == ("graph: starting on 16 users × 12 items, 64 training pairs; dense path (0.0 GiB; each λ trial "
                         "one O(items³) solve); up to 66 selection trials (5 λ, 8 side-channel weights, 9 filter, on "
                         "each of 3 validation carves)")
    # each estimate comes before its model's work, and no model tries more than it said
    assert lines.index(raw[1]) < lines.index(next(ln for ln in lines if ln.startswith("  ease λ 1:")))
    assert len([ln for ln in lines if ln.startswith("  ease λ ")]) == 4
    assert 0 < len([ln for ln in lines if ln.startswith("  graph ")]) <= 66
    quiet = _run(neo4j_settings, "--quiet", "evaluate", "--models", "popularity,ease", "--interactions", "RATED")
    assert quiet.exit_code == 0 and quiet.stderr == "" and "ease" in quiet.stdout


def test_ctrl_c_prints_the_finished_rows_and_exits_130(communities: Driver, neo4j_settings: Settings) -> None:
    # popularity finishes at once; 300 runs of lightgcn take half a minute: SIGINT lands while it trains (a
    # SIGINT that lands in a finaliser stops the next run)
    cmd = [sys.executable, "-c", "from graphrec.cli.main import main; main()", *_base(neo4j_settings), "evaluate",
           "--models", "popularity,lightgcn", "--repeats", "300", "--epochs", "200", "--interactions", "RATED",
           "--json", "--threads", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("lightgcn: starting on "):
            break
    else:
        pytest.fail(f"no estimate line for lightgcn (rc {proc.wait()})")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted: 1 of 2 model(s) finished" in err
    assert [r["model"] for r in json.loads(out)] == ["popularity"]
