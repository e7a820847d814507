from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from graphrec.config import checkout_datasets, load_settings
from graphrec.errors import ConfigError


def test_precedence(tmp_path: Path) -> None:
    toml = tmp_path / "graphrec.toml"
    toml.write_text('[graphrec]\nuri = "neo4j://toml:7687"\nbatch_size = 123\ndatabase = "fromtoml"\n')
    env = {"GRAPHREC_NEO4J_URI": "neo4j+s://env.example:7687", "GRAPHREC_BATCH_SIZE": "456"}
    s = load_settings({"uri": "bolt://flag:7687"}, toml_path=toml, env=env)
    assert s.uri == "bolt://flag:7687"  # flag beats env
    assert s.batch_size == 456  # env beats toml
    assert s.database == "fromtoml"  # toml beats default
    assert s.user == "neo4j"  # default


def test_defaults_point_at_local_server() -> None:
    s = load_settings(env={"GRAPHREC_BOLT_PORT": "17999"}, toml_path=Path("/nonexistent.toml"))
    assert s.uri == "bolt://127.0.0.1:17999" and s.is_local


@pytest.mark.parametrize(
    ("content", "message"),
    [("nope = 1\n", "unknown setting 'nope'"), ("batch_size = 'many'\n", "batch_size: expected int"),
     ("uri = \n", "graphrec.toml")],
)
def test_bad_toml(tmp_path: Path, content: str, message: str) -> None:
    toml = tmp_path / "graphrec.toml"
    toml.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(toml_path=toml, env={})


def test_generated_password_is_private(tmp_path: Path) -> None:
    s = load_settings({"home": tmp_path}, env={}, toml_path=tmp_path / "none.toml")
    pw = s.ensure_password()
    assert len(pw) >= 16 and s.resolved_password() == pw and s.ensure_password() == pw
    assert stat.S_IMODE(os.stat(s.password_file).st_mode) == 0o600


def test_missing_password_is_one_clear_error(tmp_path: Path) -> None:
    s = load_settings({"home": tmp_path}, env={}, toml_path=tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="GRAPHREC_NEO4J_PASSWORD"):
        s.resolved_password()


def test_data_dir_beside_a_checkout_only(tmp_path: Path) -> None:
    """``../shared/datasets`` is used from a source checkout; an installed package (site-packages) never
    looks next to itself, so it falls back to ``<home>/datasets``."""
    checkout = tmp_path / "repo"
    (checkout / "graphrec").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text("[project]\n")
    assert checkout_datasets(checkout / "graphrec") is None  # no ../shared/datasets
    (tmp_path / "shared" / "datasets").mkdir(parents=True)
    assert checkout_datasets(checkout / "graphrec") == tmp_path / "shared" / "datasets"
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    (site / "graphrec").mkdir(parents=True)
    (tmp_path / "lib" / "shared" / "datasets").mkdir(parents=True)  # site-packages/../../shared exists
    assert checkout_datasets(site / "graphrec") is None


def test_graph_mapping_from_toml(tmp_path: Path) -> None:
    from graphrec.mapping import DEFAULT_MAPPING

    assert load_settings(env={}, toml_path=tmp_path / "none.toml").graph == DEFAULT_MAPPING
    toml = tmp_path / "graphrec.toml"
    toml.write_text('batch_size = 7\n[graph]\nuser = { label = "Person", id = "personId" }\n'
                    'item = { label = "Movie", id = "movieId", text = ["title", "plot"] }\n'
                    'entities = [{ label = "Genre", id = "name" }]\n'
                    '[graph.behaviours.REVIEWED]\nweight = "stars"\ntimestamp = "ts"\nmin_weight = 4\n')
    s = load_settings(toml_path=toml, env={})
    g = s.graph
    assert s.batch_size == 7 and g.explicit and g.source == str(toml)
    assert (g.user.label, g.user.id, g.item.label, g.item.id) == ("Person", "personId", "Movie", "movieId")
    assert g.item.title == "title" and g.item.text == ("plot",)   # the title first, then the rest
    assert g.entity_labels == ("Genre",) and g.id_key("Genre") == "name" and g.id_key("Other") == "id"
    b = g.behaviour("REVIEWED")
    assert (b.weight, b.timestamp, b.min_weight) == ("stars", "ts", 4.0)
    # under [graphrec] too
    toml.write_text('[graphrec]\nbatch_size = 8\n[graph]\nuser = { label = "Person" }\n')
    s = load_settings(toml_path=toml, env={})
    assert s.batch_size == 8 and s.graph.user.label == "Person" and s.graph.user.id == "id"
    assert s.graph.item == DEFAULT_MAPPING.item


@pytest.mark.parametrize(
    ("graph", "message"),
    [('user = "Person"', r"\[graph\] user: expected a table"),
     ('user = { label = "Person", key = "x" }', r"\[graph\] user.key: unknown key"),
     ('item = { id = "movieId" }', r"\[graph\] item.label: missing"),
     ('colour = 1', r"\[graph\] colour: unknown key"),
     ('entities = [{ label = "" }]', r"\[graph\] entities\[0\].label: expected a non-empty string"),
     ('behaviours.REVIEWED = { min_weight = 4 }', r"behaviours.REVIEWED.min_weight: needs `weight`"),
     ('behaviours.REVIEWED = { weight = "stars", min_weight = "4" }', r"min_weight: expected a number"),
     ('user = { label = "Movie" }\nitem = { label = "Movie" }', r"label 'Movie' is mapped twice")],
)
def test_bad_graph_mapping(tmp_path: Path, graph: str, message: str) -> None:
    from graphrec.mapping import MappingError

    toml = tmp_path / "graphrec.toml"
    toml.write_text(f"[graph]\n{graph}\n")
    with pytest.raises(MappingError, match=message) as err:
        load_settings(toml_path=toml, env={})
    assert err.value.exit_code == 2 and str(err.value).startswith(f"{toml}: [graph] ")
