"""``graphrec db start|stop|status|logs`` and ``graphrec init``."""

from __future__ import annotations

import json
import time

import click

from graphrec.cli.context import AppContext, pass_app, table
from graphrec.localdb.local import LocalNeo4j


def local_server(app: AppContext) -> LocalNeo4j:
    """The local server described by the settings (its password generated on first use)."""
    s = app.settings
    return LocalNeo4j(home=s.home, password=s.ensure_password(), bolt_port=s.bolt_port,
                      http_port=s.http_port, heap=s.heap, pagecache=s.pagecache)


@click.group("db")
def db_group() -> None:
    """Run the local Neo4j 5.26 Community server (jars from Maven Central, no Docker).

    Example: graphrec db start && graphrec db status
    """


@db_group.command("start")
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait for Bolt.")
@pass_app
def start(app: AppContext, timeout: float) -> None:
    """Start the local server (idempotent) and wait until Bolt answers."""
    server = local_server(app)
    t0 = time.monotonic()
    started = server.start(timeout=timeout)
    took = time.monotonic() - t0
    if started:
        app.echo(f"Neo4j started in {took:.1f}s: {server.bolt_uri}  (Browser {server.browser_url})")
    else:
        app.echo(f"Neo4j already running (pid {server.pid()}): {server.bolt_uri}")


@db_group.command("stop")
@pass_app
def stop(app: AppContext) -> None:
    """Stop the local server cleanly."""
    server = local_server(app)
    app.echo("Neo4j stopped" if server.stop() else "Neo4j was not running")


@db_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """Version, URIs, store path and size of the local server."""
    info = local_server(app).status()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    size = int(str(info["store_bytes"])) / 1e6
    state = f"running (pid {info['pid']})" if info["running"] else "stopped"
    click.echo(f"{info['version']}: {state}\n  bolt     {info['bolt']}\n  browser  {info['browser']}\n"
               f"  store    {info['store']} ({size:.1f} MB)\n  logs     {info['logs']}")


@db_group.command("logs")
@click.option("-n", "--lines", default=50, show_default=True)
@pass_app
def logs(app: AppContext, lines: int) -> None:
    """The last lines of the local server's neo4j.log."""
    click.echo(local_server(app).logs(lines))


@click.command("init")
@pass_app
def init(app: AppContext) -> None:
    """Apply constraints and indexes from cypher/schema/ (idempotent).

    Example: graphrec init
    """
    from graphrec.db.schema import apply_schema, show_schema

    driver = app.driver()
    n = apply_schema(driver)
    app.echo(f"applied {n} schema statements")
    rows = show_schema(driver)
    app.echo(table(rows, ["name", "type", "entityType", "labelsOrTypes", "properties", "state"]))
