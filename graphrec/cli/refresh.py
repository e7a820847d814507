"""``graphrec refresh``: fold what changed in the graph into the active run, without retraining."""

from __future__ import annotations

import json

import click

from graphrec.cli.context import AppContext, pass_app, progress_bars
from graphrec.writeback.refresh import REFRESH_BATCH_SIZE


@click.command("refresh")
@click.option("--batch-size", type=click.IntRange(min=1), default=REFRESH_BATCH_SIZE, show_default=True,
              help="Users solved and written per transaction.")
@click.option("--json", "as_json", is_flag=True, help="Print what was refreshed as JSON.")
@pass_app
def refresh_cmd(app: AppContext, batch_size: int, as_json: bool) -> None:
    """Bring the active run up to date with the graph, without retraining.

    Users with new interactions and new users get vectors folded in from their items (the model's own
    closed form) and fresh RECOMMENDED lists; new items get vectors from the items that share their KG
    entities or text. Users with no interactions keep the cold-start path.

    Example: graphrec load csv new-ratings.csv && graphrec refresh
    """
    from graphrec.writeback import refresh

    with progress_bars(app.quiet or as_json, "refresh") as progress:
        res = refresh(app.driver(), app.mapping(), batch_size=batch_size, progress=progress)
    if as_json:
        click.echo(json.dumps(res.to_dict()))
        return
    extra = f" ({res.items_without_neighbours} new items without KG/text neighbours kept none)" \
        if res.items_without_neighbours else ""
    click.echo(f"refreshed run {res.run_id}: {res.users:,} users ({res.recommended:,} RECOMMENDED), "
               f"{res.items:,} new items{extra} in {res.seconds['total']:.1f} s")
