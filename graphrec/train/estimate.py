"""The work an item–item model's fit is about to do (:meth:`Recommender.estimate` of ``ease`` and ``graph``): the
path it takes and how many selection trials it may run, from the catalogue size and its settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphrec.errors import CapacityError
from graphrec.nn.linear import ease_bytes
from graphrec.train.budget import solve_seconds
from graphrec.train.colsample import sample_size

if TYPE_CHECKING:
    from graphrec.train.linear import _ItemItem


def item_item_work(model: _ItemItem, num_items: int) -> str:
    """E.g. ``dense path (1.2 GiB; each λ trial one O(items³) solve); up to 4 selection trials (4 λ); one solve
    ≈ 3.1 s here`` (:func:`graphrec.train.budget.solve_seconds`)."""
    try:
        path = model.path(num_items)
    except CapacityError as e:
        return f"cannot fit ({e}): it will be skipped"
    if path == "sparse":
        how = f"sparse path ({model.neighbours(num_items)} neighbours per item)"
    else:
        how = f"dense path ({ease_bytes(num_items, 4) / (1 << 30):.1f} GiB; each λ trial one O(items³) solve)"
    head = model.head_selection(num_items)
    sel_items = num_items
    if head:
        how += f", chosen on the {model.cfg.search_items:,} most-interacted items, then refit on all"
        sel_items = min(num_items, model.cfg.search_items)
    elif path == "sparse" and num_items > model.cfg.select_items:
        sel_items = sample_size(num_items, model.cfg.search_items)
        how += f", chosen on ≈{sel_items:,} items' columns and the validation items', then refit on all"
    # λ candidates depend on the size of the catalogue it selects on only (and on ``lam``)
    lambdas = len(model._lambda_steps(num_items if not head else sel_items))
    width = model.solve_width(sel_items, num_items)
    return (f"{how}; {model.trials(num_items, lambdas)}; one solve ≈ "
            f"{solve_seconds(path, sel_items, width):.1f} s here")
