"""The guide, the style and the guide server, without a web browser."""

from __future__ import annotations

import json
import re
import urllib.request

from click.testing import CliRunner

from graphrec.browser import STYLE_NAME, GuideServer, browser_dir, browser_info, render_guide
from graphrec.browser.guide import query_for_browser
from graphrec.cli.main import cli
from graphrec.config import Settings, load_settings


def _grass_rules(text: str) -> dict[str, dict[str, str]]:
    """Parse a .grass file as Neo4j Browser does: braces outside '…' delimit a rule's props."""
    rules: dict[str, dict[str, str]] = {}
    selector, body, inside, quoted = "", "", False, False
    for c in text:
        if c == "'":
            quoted = not quoted
            body += c if inside else ""
        elif c == "{" and not quoted:
            inside = True
        elif c == "}" and not quoted:
            props = {}
            for part in body.split(";"):
                if ":" in part:
                    key, value = part.split(":", 1)
                    props[key.strip()] = value.strip()
            rules[selector] = props
            selector, body, inside = "", "", False
        elif inside:
            body += c
        elif not c.isspace():
            selector += c
    return rules


def test_style_covers_the_graph_model() -> None:
    text = (browser_dir() / STYLE_NAME).read_text()
    assert '"' not in text, "Browser's grass parser only knows single quotes"
    rules = _grass_rules(text)
    captions = {"User": "'user {id}'", "Item": "'{title}'", "Entity": "'{name}'", "Genre": "'{name}'",
                "Tag": "'{name}'", "ModelRun": "'{model} {id}'"}
    for label, caption in captions.items():
        rule = rules[f"node.{label}"]
        assert rule["caption"] == caption
        assert re.fullmatch(r"#[0-9A-F]{6}", rule["color"]) and rule["diameter"].endswith("px")
    colours = {rules[f"node.{label}"]["color"] for label in captions}
    assert len(colours) == len(captions), "each label has its own colour"
    assert list(rules).index("node.Entity") < list(rules).index("node.Genre"), "Genre must override Entity"
    assert rules["relationship.RECOMMENDED"]["caption"] == "'rank {rank}'"


def test_guide_pastes_the_query_files() -> None:
    html = render_guide("http://localhost:1234")
    assert "{{" not in html and "<!--" not in html
    assert html.count("<slide") == 7
    assert ":style http://localhost:1234/graphrec.grass" in html
    for name in ("recommend/recommend", "browser/explain_graph", "browser/overview", "browser/user_history",
                 "browser/runs", "browser/active_run", "browser/recommend_graph"):
        text = query_for_browser(name)
        assert text and "//" not in text.splitlines()[0]
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in html, f"{name} is not pasted into the guide"


def test_guide_server_answers_with_cors() -> None:
    server = GuideServer(port=0).start()
    try:
        with urllib.request.urlopen(server.guide_url, timeout=10) as resp:
            assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"
            assert resp.headers["Content-Type"].startswith("text/html")
            assert "<slide" in resp.read().decode()
        with urllib.request.urlopen(server.style_url, timeout=10) as resp:
            assert "node.Item" in resp.read().decode()
        preflight = urllib.request.Request(server.guide_url, method="OPTIONS",
                                           headers={"Origin": "http://127.0.0.1:7474",
                                                    "Access-Control-Request-Headers": "cache-control,pragma"})
        with urllib.request.urlopen(preflight, timeout=10) as resp:
            assert resp.status == 204 and resp.headers["Access-Control-Allow-Headers"] == "*"
        try:
            urllib.request.urlopen(f"{server.url}/../pyproject.toml", timeout=10)
            raise AssertionError("unknown paths must be 404")
        except urllib.error.HTTPError as e:
            assert e.code == 404
    finally:
        server.close()
    assert server.url.startswith("http://localhost:"), "the Browser's default allowlist admits localhost only"


def test_port_in_use_is_one_line() -> None:
    first = GuideServer(port=0)
    try:
        result = CliRunner().invoke(cli, ["browser", "--serve", "--port", str(first.port)])
    finally:
        first.server_close()
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"graphrec: error: port {first.port} on 127.0.0.1 is in use; choose another with --port"]


def test_browser_info_local_and_remote(tmp_path: object) -> None:
    local = load_settings({"bolt_port": 17687, "http_port": 17474, "password": "s3cret-Xq9"}, env={})
    info = browser_info(local, "http://localhost:8474/")
    assert info.url == "http://127.0.0.1:17474/browser/?dbms=bolt://neo4j@127.0.0.1:17687&db=neo4j"
    assert info.play_command == ":play http://localhost:8474/graphrec.html"
    assert info.style_command == ":style http://localhost:8474/graphrec.grass"
    assert "s3cret-Xq9" not in json.dumps(info.as_dict()), "the password is never printed"
    aura = load_settings({"uri": "neo4j+s://abc.databases.neo4j.io", "user": "alice"}, env={})
    assert browser_info(aura).url == "https://browser.neo4j.io/?dbms=neo4j%2Bs://alice@abc.databases.neo4j.io&db=neo4j"
    assert browser_info(aura).running is None and browser_info(aura).play_command is None


def test_cli_prints_url_and_commands(neo4j_settings: Settings) -> None:
    env = {"GRAPHREC_BOLT_PORT": str(neo4j_settings.bolt_port), "GRAPHREC_HTTP_PORT": str(neo4j_settings.http_port)}
    args = ["--uri", neo4j_settings.uri, "--password", neo4j_settings.resolved_password(), "browser"]
    result = CliRunner().invoke(cli, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["url"].startswith(f"http://127.0.0.1:{neo4j_settings.http_port}/browser/?dbms=")
    assert info["running"] is (True if neo4j_settings.is_local else None)
    assert info["style_file"].endswith("cypher/browser/graphrec.grass")
    text = CliRunner().invoke(cli, args, env=env).output
    assert "Neo4j Browser:" in text and neo4j_settings.uri in text and "graphrec browser --serve" in text
