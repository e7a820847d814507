"""``graphrec models``: every registry model with what its class declares, without a database."""

from __future__ import annotations

import json

from click.testing import CliRunner

from graphrec.cli.main import cli
from graphrec.train import DEFAULT_MODEL, REGISTRY


def test_models_lists_the_registry_and_each_models_settings() -> None:
    res = CliRunner().invoke(cli, ["models", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["model"]: r for r in json.loads(res.stdout)}
    assert list(rows) == list(REGISTRY)
    assert [n for n, r in rows.items() if r["default"]] == [DEFAULT_MODEL]
    for name, cls in REGISTRY.items():
        assert rows[name]["settings"] == list(cls.params) and rows[name]["fold"] == cls.fold
    assert "lam" in rows["ease"]["settings"] and "epochs" not in rows["ease"]["settings"]
    text = CliRunner().invoke(cli, ["models"])
    assert text.exit_code == 0 and f"{DEFAULT_MODEL} (default): " in text.stdout
    assert "reads: nothing of its own" in text.stdout   # popularity
