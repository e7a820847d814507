"""``graphrec recommend|similar|cold-start|explain|query``: recommendations out of the graph."""

from __future__ import annotations

import json
import math
from typing import Any

import click
from neo4j.graph import Node, Path, Relationship

from graphrec.cli.context import AppContext, pass_app, table
from graphrec.config import Settings
from graphrec.errors import InputError
from graphrec.recommend import MAX_K, Explanation, Recommendation

_COLUMNS = ["rank", "item", "title", "score"]


def _print_recs(app: AppContext, recs: list[Recommendation], as_json: bool, what: str) -> None:
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in recs], indent=2))
        return
    rows = [{"rank": r.position or r.rank or n, "item": r.item, "title": r.title, "score": r.score,
             "source": r.source} for n, r in enumerate(recs, 1)]
    runs = sorted({r.run for r in recs if r.run})
    app.echo(f"{what}" + (f" (model run {', '.join(runs)})" if runs else ""))
    cols = _COLUMNS + (["source"] if any(r.source for r in recs) else [])
    click.echo(table(rows, cols))


@click.command("recommend")
@click.argument("user")
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=10, show_default=True,
              help=f"How many items (at most {MAX_K:,}).")
@click.option("--realtime", is_flag=True, help="Compute from embeddings via the vector index, not precomputed.")
@click.option("--genre", help="Only items of this genre (entity id genre:<GENRE>; with a [graph] mapping, "
                               "the genre entity's own id) (default: any).")
@click.option("--entity", help="Only items linked to this entity id, e.g. tag:73 (default: any).")
@click.option("--diverse", "cap", type=click.IntRange(1, MAX_K),
              help="Re-rank for diversity: at most CAP items per genre/tag (default: no re-ranking).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def recommend_cmd(app: AppContext, user: str, k: int, realtime: bool, genre: str | None, entity: str | None,
                  cap: int | None, as_json: bool) -> None:
    """Top-K items for USER from the active model run.

    Example: graphrec recommend 1 -k 10 --genre Comedy
    """
    from graphrec.recommend import diverse, published_cut, recommend, recommend_realtime

    # graphrec's own genre entities have ids genre:<GENRE>; a mapped graph's are its own id values
    ent = entity or ((genre if app.settings.graph.explicit else f"genre:{genre}") if genre else None)
    if realtime and (ent or cap):
        raise InputError("recommend", None, "--realtime", "cannot be combined with --genre/--entity/--diverse")
    driver, mapping = app.driver(), app.mapping()
    if realtime:
        recs = recommend_realtime(driver, user, k, mapping=mapping)
    elif cap is not None:
        recs = diverse(driver, user, k=k, cap=cap, mapping=mapping)
    else:
        recs = recommend(driver, user, k, entity=ent, mapping=mapping)
    _print_recs(app, recs, as_json, f"recommendations for user {user}")
    published = None if realtime else published_cut(driver, k, len(recs))
    if published is not None:   # on stderr, also with --quiet and --json: the answer is shorter than asked
        click.echo(f"note: only {published} recommendations per user are published by the active run; for more, "
                   f"add --realtime (from the vector index) or retrain with `graphrec train --top-k {k}`", err=True)


@click.command("similar")
@click.argument("item", required=False)
@click.option("--title", help="Find the item by title instead of ITEM: case-insensitive, the exact title first, else "
                              "titles containing it, else with articles and year normalised (\"The Matrix (1999)\" "
                              "finds \"Matrix, The (1999)\"); several matches are listed, none suggests the closest "
                              "(default: none, give ITEM).")
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=10, show_default=True,
              help=f"How many items (at most {MAX_K:,}).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def similar(app: AppContext, item: str | None, title: str | None, k: int, as_json: bool) -> None:
    """Items most similar to ITEM (model embeddings; text embeddings when it has none).

    Example: graphrec similar 50 -k 5   |   graphrec similar --title "toy story (1995)"
    """
    from graphrec.recommend import find_item, similar_items

    if (item is None) == (title is None):
        raise click.UsageError("give ITEM or --title TITLE (one of them)")
    driver, mapping = app.driver(), app.mapping()
    target = find_item(driver, title, mapping=mapping) if title is not None else str(item)
    what = f"items similar to {target}" + (f" ({title!r})" if title is not None else "")
    _print_recs(app, similar_items(driver, target, k, mapping=mapping), as_json, what)


def encode_text(settings: Settings, text: str) -> list[float]:
    """Encode ``text`` with the sentence-transformers model that made the items' text embeddings, on the CPU.

    The encoder is loaded once per process (:func:`graphrec.features.model.load_encoder` keeps it) and
    quietly: no "Loading weights" or batch progress bar on stderr.
    """
    from graphrec.features.model import load_encoder, resolve_model

    encoder = load_encoder(resolve_model(settings.text_model), "cpu")
    return [float(x) for x in encoder.encode([text], normalize_embeddings=True, show_progress_bar=False)[0]]


@click.command("cold-start")
@click.option("--items", help="Comma-separated ids of items the new user likes (default: none; this or --text).")
@click.option("--text", help="What the new user likes, in words (default: none).")
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=10, show_default=True,
              help=f"How many items (at most {MAX_K:,}).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def cold_start(app: AppContext, items: str | None, text: str | None, k: int, as_json: bool) -> None:
    """Recommendations for someone with no history, from liked items or free text.

    Example: graphrec cold-start --items 50,181   |   graphrec cold-start --text "space opera with robots"
    """
    from graphrec.recommend import cold_start as run_cold_start

    liked = [i.strip() for i in (items or "").split(",") if i.strip()]
    if not liked and not text:
        raise InputError("cold-start", None, "--items/--text", "give liked item ids or a text")
    vector = encode_text(app.settings, text) if text else None
    _print_recs(app, run_cold_start(app.driver(), liked, vector, k, mapping=app.mapping()), as_json,
                "cold-start recommendations")


@click.command("explain")
@click.argument("user")
@click.argument("item", required=False)
@click.option("--limit", default=5, show_default=True, help="How many paths (with ITEM).")
@click.option("-k", "k", default=10, show_default=True, help="How many recommendations to explain (without ITEM).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the HTTP API's /explain body).")
@pass_app
def explain(app: AppContext, user: str, item: str | None, limit: int, k: int, as_json: bool) -> None:
    """Why ITEM for USER: one sentence from the strongest link in USER's history (shared genres/tags/entities,
    co-users, friends), then the paths. Without ITEM: one sentence for each of USER's top-K recommendations.

    Example: graphrec explain 1 50   |   graphrec explain 1 -k 5
    """
    from graphrec.recommend import explain as run_explain
    from graphrec.recommend import explain_text

    driver, mapping = app.driver(), app.mapping()
    if item is None:
        reasons = explain_text(driver, user, k=k, mapping=mapping)
        if as_json:
            click.echo(json.dumps({"user": user, "items": [r.to_dict() for r in reasons]}, indent=2))
            return
        app.echo(f"why these recommendations for user {user}")
        click.echo(table([{"item": r.item, "title": r.title, "why": r.sentence()} for r in reasons],
                         ["item", "title", "why"]))
        return
    paths: list[Explanation] = run_explain(driver, user, item, limit, mapping=mapping)
    found = explain_text(driver, user, [item], mapping=mapping)
    reason = found[0] if found else None
    if as_json:
        click.echo(json.dumps({"user": user, "item": item, "sentence": reason.sentence() if reason else None,
                               "reason": reason.to_dict() if reason else None,
                               "paths": [{**p.to_dict(), "sentence": p.sentence()} for p in paths]}, indent=2))
        return
    if reason is not None:
        click.echo(reason.sentence())
    if not paths:
        click.echo(f"no path between user {user} and item {item} through friends, entities or co-users")
    for p in paths:
        click.echo(f"{p.kind:<14} {p.sentence()}")


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return {"nodes": [_plain(n) for n in value.nodes], "rels": [r.type for r in value.relationships]}
    if isinstance(value, Node):
        from graphrec.recommend.results import node_dict

        return node_dict(value)
    if isinstance(value, Relationship):
        return {"type": value.type, **dict(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def check_param(key: str, raw: str, value: Any) -> Any:
    """``value`` when Bolt can carry it: integers within signed 64 bits, finite floats (also inside lists
    and maps); the driver would otherwise fail with a traceback.

    Raises:
        InputError: naming the parameter and the value.
    """
    from graphrec.ingest.validate import INT64_MAX, INT64_MIN

    def bad(v: Any) -> bool:
        if isinstance(v, bool):
            return False
        if isinstance(v, int):
            return not INT64_MIN <= v <= INT64_MAX
        if isinstance(v, float):
            return not math.isfinite(v)
        if isinstance(v, list):
            return any(bad(x) for x in v)
        if isinstance(v, dict):
            return any(bad(x) for x in v.values())
        return False

    if bad(value):
        raise InputError("-p", None, key, f"{raw!r} does not fit a 64-bit integer or a finite float")
    return value


def _print_browser_query(app: AppContext, name: str) -> None:
    """The runnable form of a Browser guide query (``cypher/browser/NAME.cypher``) for your graph."""
    from graphrec.browser.guide import browser_dir, query_for_browser

    have = sorted(f"browser/{p.stem}" for p in browser_dir().glob("*.cypher"))
    if name not in have:
        raise InputError("query", None, "NAME", f"no query {name!r} (have: {', '.join(have)})")
    mapping = app.mapping() if app.settings.graph.explicit else app.settings.graph
    click.echo(query_for_browser(name, mapping))


@click.command("query")
@click.argument("name", required=False)
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A query parameter, repeatable (default: none; the query's parameters are all required).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--cypher", "show", is_flag=True,
              help="Print the query for your graph (the [graph] mapping's labels and id properties pasted in) "
                   "with :param lines, to paste into Neo4j Browser or any client, instead of running it.")
@pass_app
def query(app: AppContext, name: str | None, params: tuple[str, ...], as_json: bool, show: bool) -> None:
    """Run any query of cypher/recommend/ by NAME (no NAME: list them with their parameters).

    Every parameter the query names must be given (Neo4j's rule for any client, so the query runs the same
    from here, Browser, HTTP or a driver); the :param lines in the file are examples, never defaults.

    With --cypher, NAME may also be browser/NAME, a query of the Browser guide (cypher/browser/).

    Example: graphrec query diverse -p user=1 -p k=5 -p cap=1   |   graphrec query recommend --cypher
    """
    from graphrec.recommend import coerce, examples, names, run_query

    if name is not None and show and name.startswith("browser/"):
        _print_browser_query(app, name)
        return
    if name is not None and show:
        from graphrec.recommend.library import needs_run, run_names, runnable

        if name not in names():
            raise InputError("query", None, "NAME", f"no query {name!r} (have: {', '.join(names())})")
        mapping = app.mapping() if app.settings.graph.explicit else app.settings.graph
        run = run_names(app.driver()) if needs_run(name) else None   # the active run's types, where it has them
        click.echo(runnable(name, mapping, run))
        return
    if name is None:
        click.echo(table([{"query": n, "parameters (all required; examples)": ", ".join(
            f"{k}={json.dumps(v)}" for k, v in examples(n).items())} for n in names()]))
        return
    values: dict[str, Any] = {}
    for p in params:
        key, sep, raw = p.partition("=")
        if not sep:
            raise InputError("-p", None, p, "expected KEY=VALUE")
        values[key.strip()] = check_param(key.strip(), raw, coerce(name, key.strip(), raw))
    rows = [{k: _plain(v) for k, v in zip(r.keys(), r.values(), strict=True)}
            for r in run_query(app.driver(), name, values, app.mapping())]
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
    else:
        click.echo(table([{k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in r.items()}
                          for r in rows]))
