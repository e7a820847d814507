"""The ``graphrec`` click group: global options build one :class:`Settings` for every command."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import click

from graphrec.cli.browser import browser
from graphrec.cli.context import AppContext, GraphRecGroup
from graphrec.cli.db import db_group, init
from graphrec.cli.features import embed_text_command
from graphrec.cli.ingest import load, stats
from graphrec.cli.models import models_cmd
from graphrec.cli.recommend import cold_start, explain, query, recommend_cmd, similar
from graphrec.cli.refresh import refresh_cmd
from graphrec.cli.runs import runs_group
from graphrec.cli.serve import serve
from graphrec.cli.train import evaluate, publish_cmd, train
from graphrec.config import load_settings


@click.group("graphrec", cls=GraphRecGroup,
             context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--uri", help="Bolt URI (bolt://, neo4j://, neo4j+s://). Env: GRAPHREC_NEO4J_URI. "
                             "(default: the local server, bolt://127.0.0.1:7687)")
@click.option("--user", help="Neo4j user. Env: GRAPHREC_NEO4J_USER. (default: neo4j)")
@click.option("--password", help="Neo4j password. Env: GRAPHREC_NEO4J_PASSWORD. "
                                  "(default: the local server's generated one, in <home>/password)")
@click.option("--database", help="Database name. Env: GRAPHREC_NEO4J_DATABASE. (default: neo4j)")
@click.option("--home", type=click.Path(path_type=Path),
              help="graphrec home (local server, caches). Env: GRAPHREC_HOME. (default: ~/.local/share/graphrec)")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="graphrec.toml to read. Env: GRAPHREC_CONFIG. (default: ./graphrec.toml when present)")
@click.option("-q", "--quiet", is_flag=True, help="Only print results and errors.")
@click.version_option(package_name="graphrec")
@click.pass_context
def cli(ctx: click.Context, uri: str | None, user: str | None, password: str | None, database: str | None,
        home: Path | None, config_path: Path | None, quiet: bool) -> None:
    """graphrec: recommendations from your Neo4j graph.

    Example: graphrec db start && graphrec init && graphrec load movielens-100k
    """
    # the driver logs each retry of a lost connection as a WARNING; with no handler configured Python
    # prints those to stderr, burying the one-line error. graphrec reports failures itself.
    logging.getLogger("neo4j").addHandler(logging.NullHandler())
    overrides = {"uri": uri, "user": user, "password": password, "database": database, "home": home}
    ctx.obj = AppContext(settings=load_settings(overrides, toml_path=config_path), quiet=quiet)


cli.add_command(db_group)
cli.add_command(init)
cli.add_command(load)
cli.add_command(stats)
cli.add_command(browser)
cli.add_command(recommend_cmd)
cli.add_command(similar)
cli.add_command(cold_start)
cli.add_command(explain)
cli.add_command(query)
cli.add_command(runs_group)
cli.add_command(embed_text_command)
cli.add_command(train)
cli.add_command(evaluate)
cli.add_command(models_cmd)
cli.add_command(publish_cmd)
cli.add_command(refresh_cmd)
cli.add_command(serve)


def main() -> None:
    """Console-script entry point."""
    # torch_geometric's import triggers torch's own deprecation notice about torch.jit; not actionable here
    warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
    cli(prog_name="graphrec")


if __name__ == "__main__":
    main()
