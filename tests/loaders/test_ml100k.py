"""``graphrec load movielens-100k`` then the loader: counts and id maps match ``graphrec stats``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from neo4j import Driver

from graphrec.cli.main import cli
from graphrec.config import Settings
from graphrec.loaders import load_graph_with_stats

ML100K = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "movielens-100k"


@pytest.mark.slow
@pytest.mark.skipif(not (ML100K / "u1.base").is_file(), reason="ml-100k is not in ../shared/datasets")
def test_ml100k_round_trip_matches_stats(db: Driver, settings: Settings) -> None:
    base = ["--uri", settings.uri, "--password", settings.password or "", "--home", str(settings.home)]
    runner = CliRunner()
    loaded = runner.invoke(cli, [*base, "-q", "load", "movielens-100k", "--split", "u1", "--json"])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(cli, [*base, "stats", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output[result.output.index("{"):])

    graph, load = load_graph_with_stats(db)
    data = graph.data
    for t in ("User", "Item", "Entity"):
        assert data[t].num_nodes == stats["nodes"][t] == len(graph.ids[t])
    assert (data["User"].num_nodes, data["Item"].num_nodes) == (943, 1682)
    # every relationship type the stats count between users, items and entities was streamed
    by_type: dict[str, int] = {}
    for key, n in load.edges.items():
        rel = key.split("-")[1]
        by_type[rel] = by_type.get(rel, 0) + n
    assert by_type == {k: v for k, v in stats["relationships"].items() if k != "RECOMMENDED"}
    # u1: the stored split, train pairs in the message-passing graph, test pairs held out
    assert load.split_mode == "stored"
    assert graph.train.shape[1] == stats["splits"]["RATED"]["train"] == 80_000
    assert graph.test.shape[1] == stats["splits"]["RATED"]["test"] == 20_000
    assert data["User", "RATED", "Item"].edge_index.shape[1] == 80_000
    assert data["Item", "rev_RATED", "User"].edge_index.shape[1] == 80_000
    # id maps: index i of a type is the i-th id in id order, and round-trips to the stored rating
    assert graph.ids["User"] == sorted(graph.ids["User"])
    u, i = graph.test[:, 0].tolist()
    rec = db.execute_query("MATCH (:User {id: $u})-[r:RATED]->(:Item {id: $i}) RETURN r.split AS split",
                           {"u": graph.ids["User"][u], "i": graph.ids["Item"][i]}).records
    assert [r["split"] for r in rec] == ["test"]
    train_keys = set((graph.train[0] * graph.num_items + graph.train[1]).tolist())
    test_keys = set((graph.test[0] * graph.num_items + graph.test[1]).tolist())
    assert not train_keys & test_keys
    assert torch.equal(torch.unique(data["User", "RATED", "Item"].edge_index, dim=1), torch.unique(graph.train, dim=1))
