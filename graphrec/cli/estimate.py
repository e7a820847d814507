"""What ``graphrec evaluate`` says before each model starts: the work it is about to do, from the catalogue
size, the interactions and the model's settings (no timing model: the counts that decide the time)."""

from __future__ import annotations

from typing import Any

from graphrec.errors import CapacityError


def cost_line(label: str, name: str, cfg: Any, graph: Any, repeats: int) -> str:
    """One line for stderr, e.g. ``ease: starting on 671 users × 9,125 items, 70,002 training pairs; dense
    path (1.2 GiB; each λ trial one O(items³) solve); up to 4 selection trials (4 λ)``."""
    head = (f"{label}: starting on {graph.num_users:,} users × {graph.num_items:,} items, "
            f"{int(graph.train.size(1)):,} training pairs")
    runs = f"; ×{repeats} runs" if repeats > 1 and name != "popularity" else ""
    return f"{head}; {_work(name, cfg, graph)}{runs}"


def _work(name: str, cfg: Any, graph: Any) -> str:
    if name == "gds":
        return "FastRP inside Neo4j (one projection, no selection)"
    if name == "popularity":
        return "item counts, no selection"
    if name in ("lightgcn", "hetero"):
        steps = -(-int(graph.train.size(1)) // max(1, cfg.batch_size))
        return (f"BPR: up to {cfg.epochs} epochs of {steps:,} steps (validation every {cfg.eval_every}, stopping "
                f"after {cfg.patience} without improvement), then the chosen epochs again on train + valid")
    if name == "als":
        from graphrec.train.als import GRID

        trials = len(GRID) if cfg.als_factors is None else 4
        return f"{trials} selection trials of {cfg.als_iterations} ALS iterations each, then one refit"
    return _item_item(name, cfg, graph.num_items)


def _item_item(name: str, cfg: Any, num_items: int) -> str:
    """The path ``ease``/``graph`` will take and how many selection trials it may run."""
    from graphrec.nn.linear import ease_bytes
    from graphrec.train.loop import resolve_device
    from graphrec.train.registry import model_class

    model: Any = model_class(name)(cfg, resolve_device(cfg.device))
    try:
        path = model.path(num_items)
    except CapacityError as e:
        return f"cannot fit ({e}): it will be skipped"
    if path == "sparse":
        how = f"sparse path ({model.neighbours(num_items)} neighbours per item)"
    else:
        how = f"dense path ({ease_bytes(num_items, 4) / (1 << 30):.1f} GiB; each λ trial one O(items³) solve)"
    if model.head_selection(num_items):
        how += f", chosen on the {cfg.search_items:,} most-interacted items, then refit on all"
    return f"{how}; {_trials(name, cfg, num_items, _lambdas(model, cfg, num_items))}"


def _lambdas(model: Any, cfg: Any, num_items: int) -> int:
    """How many λ the model will try: its own candidate list for the catalogue it selects on (the list
    depends on that catalogue's size only, and on ``--lam``)."""
    import scipy.sparse as sp

    sel_items = min(num_items, cfg.search_items) if model.head_selection(num_items) else num_items
    return len(model._lambdas(sp.csr_matrix((1, sel_items)), sel_items))


def _trials(name: str, cfg: Any, num_items: int, lams: int) -> str:
    from graphrec.train.linear import BAG_CARVES, FILTER_BLENDS, FILTER_RANKS, SIDE_WEIGHTS

    if name != "graph":
        return f"up to {lams} selection trials ({lams} λ)"
    side = sum(len(v) for c, v in SIDE_WEIGHTS.items() if c in cfg.side)
    filt = len(FILTER_RANKS) * (len(FILTER_BLENDS) - 1) if cfg.filter else 0
    bags = BAG_CARVES if num_items <= cfg.search_items else 1
    carves = f", on each of {bags} validation carves" if bags > 1 else ""
    return (f"up to {(lams + side + filt) * bags} selection trials ({lams} λ, {side} side-channel weights, "
            f"{filt} filter{carves})")
