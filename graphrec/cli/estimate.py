"""What ``graphrec evaluate`` says before each model starts: the work it is about to do, from the catalogue
size, the interactions and the model's settings (no timing model: the counts that decide the time). Each
registry model says its own part (:meth:`graphrec.train.Recommender.estimate`)."""

from __future__ import annotations

from typing import Any

GDS = "gds"
"""``evaluate``'s one model that is not in the registry: GDS FastRP inside Neo4j."""


def cost_line(label: str, name: str, cfg: Any, graph: Any, repeats: int) -> str:
    """One line for stderr, e.g. ``ease: starting on 671 users × 9,125 items, 70,002 training pairs; dense
    path (1.2 GiB; each λ trial one O(items³) solve); up to 4 selection trials (4 λ)``."""
    head = (f"{label}: starting on {graph.num_users:,} users × {graph.num_items:,} items, "
            f"{int(graph.train.size(1)):,} training pairs")
    if name == GDS:
        work, once = "FastRP inside Neo4j (one projection, no selection)", False
    else:
        from graphrec.train.loop import resolve_device
        from graphrec.train.registry import model_class

        cls = model_class(name)
        work, once = cls(cfg, resolve_device(cfg.device)).estimate(graph), cls.deterministic
    runs = f"; ×{repeats} runs" if repeats > 1 and not once else ""
    return f"{head}; {work}{runs}"
