"""Text features with the real all-MiniLM-L6-v2 on a handful of real nodes."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from neo4j import Driver

from graphrec.cli.main import cli
from graphrec.config import Settings
from graphrec.errors import ConfigError
from graphrec.features import embed_text, resolve_model
from graphrec.features.model import pick_device
from graphrec.features.text import compose_text, text_hash

GRAPH = """
CREATE (a:Item {id: 'a', title: 'Toy Story (1995)', text: 'Toys come to life.'}),
       (b:Item {id: 'b', title: 'Heat (1995)'}),
       (c:Item {id: 'c', title: 'Casper (1995)'}),
       (d:Item {id: 'd'}),
       (g1:Entity:Genre {id: 'genre:Animation', name: 'Animation', kind: 'genre'}),
       (g2:Entity:Genre {id: 'genre:Crime', name: 'Crime', kind: 'genre'}),
       (t:Entity:Tag {id: 'tag:1', name: 'pixar', kind: 'tag'}),
       (a)-[:HAS_GENRE]->(g1), (c)-[:HAS_GENRE]->(g1), (b)-[:HAS_GENRE]->(g2), (a)-[:HAS_TAG]->(t)
"""


@pytest.fixture
def items(db: Driver) -> Driver:
    db.execute_query(GRAPH)
    return db


def test_compose_text_and_hash() -> None:
    assert compose_text("T", " ", [["genre", "A"], ["tag", "x"], ["genre", "B"], ["", "y"]]) == \
        "T. genre: A, B. tag: x. related: y."
    assert compose_text("", "", []) == ""
    assert text_hash("m", "t") != text_hash("m2", "t") and text_hash("m", "t") == text_hash("m", "t")


def test_model_resolution() -> None:
    packaged = resolve_model("all-MiniLM-L6-v2")
    assert packaged.packaged and packaged.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert (packaged.source.rstrip("/").endswith("model"))
    other = resolve_model("BAAI/bge-small-en-v1.5")
    assert (other.source, other.packaged) == ("BAAI/bge-small-en-v1.5", False)
    with pytest.raises(ConfigError, match="device"):
        pick_device("tpu")
    assert pick_device("cpu") == "cpu"


def test_embed_write_back_skip_and_index(items: Driver) -> None:
    stats = embed_text(items, "Item", batch_size=2, device="cpu")
    assert (stats.nodes, stats.encoded, stats.skipped, stats.empty) == (4, 3, 0, 1)
    assert stats.dimensions == 384 and stats.index == "item_text_embedding"
    rows = {r["id"]: r for r in items.execute_query(
        "MATCH (i:Item) RETURN i.id AS id, i.text_embedding AS e, i.text_hash AS h").records}
    assert rows["d"]["e"] is None and rows["d"]["h"] is None
    assert all(len(rows[k]["e"]) == 384 and rows[k]["h"] for k in "abc")
    text_a = "Toy Story (1995). Toys come to life. genre: Animation. tag: pixar."
    assert rows["a"]["h"] == text_hash(stats.model, text_a)
    idx = items.execute_query("SHOW VECTOR INDEXES YIELD name, labelsOrTypes, properties, options, state "
                              "RETURN *").records
    (one,) = [r for r in idx if r["name"] == "item_text_embedding"]
    assert one["labelsOrTypes"] == ["Item"] and one["properties"] == ["text_embedding"]
    assert one["options"]["indexConfig"]["vector.dimensions"] == 384
    assert one["options"]["indexConfig"]["vector.similarity_function"].lower() == "cosine"
    assert one["state"] == "ONLINE"
    # the index answers: Toy Story's nearest other item is Casper (animation), not Heat (crime)
    near = items.execute_query(
        "MATCH (a:Item {id: 'a'}) CALL db.index.vector.queryNodes('item_text_embedding', 3, a.text_embedding) "
        "YIELD node, score RETURN node.id AS id ORDER BY score DESC").records
    assert [r["id"] for r in near][:1] == ["a"]
    # unchanged text is skipped; a changed title is re-encoded
    again = embed_text(items, "Item", device="cpu")
    assert (again.encoded, again.skipped) == (0, 3)
    items.execute_query("MATCH (b:Item {id: 'b'}) SET b.title = 'Heat (1995), a crime thriller'")
    third = embed_text(items, "Item", device="cpu")
    assert (third.encoded, third.skipped) == (1, 2)


def test_stale_embedding_is_cleared_when_text_disappears(items: Driver) -> None:
    embed_text(items, "Entity", device="cpu")
    items.execute_query("MATCH (t:Tag) REMOVE t.name")
    stats = embed_text(items, "Entity", device="cpu")
    assert (stats.encoded, stats.skipped, stats.empty) == (0, 2, 1)
    rec = items.execute_query("MATCH (t:Tag) RETURN t.text_embedding AS e, t.text_hash AS h").records[0]
    assert rec["e"] is None and rec["h"] is None


def test_bad_label(items: Driver) -> None:
    with pytest.raises(ConfigError, match="label"):
        embed_text(items, "User")


def test_cli_embed_text_json(items: Driver, settings: Settings) -> None:
    args = ["--uri", settings.uri, "--password", settings.resolved_password(), "embed-text", "--label", "Entity",
            "--device", "cpu", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)   # the progress bar is on stderr
    assert out["label"] == "Entity" and out["encoded"] == 3 and out["dimensions"] == 384
    assert out["index"] == "entity_text_embedding"


def test_cli_embed_text_progress_on_stderr_quiet_silences_it(items: Driver, settings: Settings) -> None:
    base = ["--uri", settings.uri, "--password", settings.resolved_password()]
    args = ["embed-text", "--label", "Entity", "--device", "cpu", "--force"]
    shown = CliRunner().invoke(cli, [*base, *args])
    assert shown.exit_code == 0, shown.output
    # tqdm's bar: count of total, elapsed<ETA, rate
    assert re.search(r"embedding Entity text: 100%.*\| 3/3 \[\d\d:\d\d<\d\d:\d\d, +[\d.]+ ?(nodes/s|s/ nodes)\]",
                     shown.stderr), shown.stderr
    assert "embedding Entity text" not in shown.stdout
    quiet = CliRunner().invoke(cli, [*base, "--quiet", *args])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == "" and quiet.stdout == ""


def test_cli_embed_text_takes_the_thread_setting(items: Driver, settings: Settings) -> None:
    import torch

    before = torch.get_num_threads()
    base = ["--uri", settings.uri, "--password", settings.resolved_password(), "embed-text", "--label", "Entity",
            "--device", "cpu", "--force", "--json"]
    try:
        result = CliRunner().invoke(cli, [*base, "--threads", "1"])
        assert result.exit_code == 0, result.output
        assert torch.get_num_threads() == 1
        result = CliRunner(env={"GRAPHREC_THREADS": "2"}).invoke(cli, base)
        assert result.exit_code == 0, result.output
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_cold_start_text_is_quiet_and_loads_the_encoder_once(items: Driver, settings: Settings) -> None:
    from graphrec.features.model import load_encoder

    base = ["--uri", settings.uri, "--password", settings.resolved_password()]
    assert CliRunner().invoke(cli, [*base, "--quiet", "embed-text", "--device", "cpu"]).exit_code == 0
    load_encoder.cache_clear()
    for _ in range(2):
        res = CliRunner().invoke(cli, [*base, "cold-start", "--text", "toys that come to life", "-k", "2", "--json"])
        assert res.exit_code == 0, res.output
        assert res.stderr == ""     # no "Loading weights" or batch bar
        assert json.loads(res.stdout)[0]["item"] == "a"
    assert load_encoder.cache_info().misses == 1    # one load for the process, then the cached encoder
