"""``graphrec browser``: where Neo4j Browser is, and the graphrec guide and style for it."""

from __future__ import annotations

import json

import click

from graphrec.browser import BrowserInfo, GuideServer, browser_info
from graphrec.browser.serve import DEFAULT_PORT
from graphrec.cli.context import AppContext, pass_app


def _describe(app: AppContext, info: BrowserInfo) -> None:
    click.echo(f"Neo4j Browser:  {info.url}")
    state = {True: "", False: "  (not running: start it with `graphrec db start`)", None: ""}[info.running]
    click.echo(f"Connect URL:    {info.connect_uri}  user {info.user}, database {info.database}{state}")
    click.echo(f"Password:       {info.password_hint}")
    if info.play_command and info.style_command:
        click.echo("Paste into the Browser's editor, one at a time:")
        click.echo(f"  {info.style_command}")
        click.echo(f"  {info.play_command}")
    else:
        app.echo("Style:          drag this file onto the Browser window, or paste `:style` followed by its text:")
        app.echo(f"                {info.style_file}")
        app.echo("Guide:          run `graphrec browser --serve`, then paste the `:play` command it prints.")


def _print_library(app: AppContext, as_json: bool) -> None:
    """Each recommendation query rendered for the graph's mapping and the active run's names, ready to run."""
    from graphrec.recommend.library import names, needs_run, run_names, runnable, summary

    mapping = app.mapping() if app.settings.graph.explicit else app.settings.graph
    run = run_names(app.driver()) if any(needs_run(n) for n in names()) else None
    library = {n: runnable(n, mapping, run if needs_run(n) else None) for n in names()}
    if as_json:
        click.echo(json.dumps(library, indent=2))
        return
    for name, text in library.items():
        click.echo(f"// {name}: {summary(name)}\n{text}\n")


@click.command("browser")
@click.option("--serve", is_flag=True, help="Serve the guide and the style on localhost until Ctrl-C.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port for --serve (0: any free port).")
@click.option("--verbose", is_flag=True, help="With --serve, log each request.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with --serve: before serving).")
@click.option("--queries", is_flag=True,
              help="Print every query of cypher/recommend/ ready to paste into the Browser: its :param lines and "
                   "its statement, rendered for your graph's mapping and active run.")
@pass_app
def browser(app: AppContext, serve: bool, port: int, verbose: bool, as_json: bool, queries: bool) -> None:
    """Inspect the graph in Neo4j Browser: print its URL, how to connect, and the :style/:play commands.

    Neo4j Browser fetches guides and styles only from allowlisted hosts
    (browser.remote_content_hostname_allowlist, default guides.neo4j.com,localhost), so --serve
    listens on 127.0.0.1 and prints localhost URLs.

    Example: graphrec browser --serve    (then paste the :play command into the Browser)
    """
    if queries:
        _print_library(app, as_json)
        return
    if not serve:
        info = browser_info(app.settings)
        if as_json:
            click.echo(json.dumps(info.as_dict(), indent=2))
        else:
            _describe(app, info)
        return
    # a [graph] mapping's names are checked against the database before the guide pastes them
    mapping = app.mapping() if app.settings.graph.explicit else app.settings.graph
    server = GuideServer(port=port, verbose=verbose, mapping=mapping)
    info = browser_info(app.settings, server.url)
    if as_json:
        click.echo(json.dumps(info.as_dict(), indent=2))
    else:
        _describe(app, info)
        app.echo(f"Serving the guide and the style at {server.url}/ until Ctrl-C.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        app.echo("stopped")
    finally:
        server.server_close()
