"""What a load recorded on its ``(:Dataset)`` node that later commands read back."""

from __future__ import annotations

import json
import math

from neo4j import Driver

from graphrec.db.driver import read
from graphrec.db.queries import load_query


def recorded_min_weights(driver: Driver) -> dict[str, float]:
    """Per behaviour type, the ``min_weight`` a load's CSV mapping set (``[[behaviours]] min_weight``):
    relationships of that type whose ``weight`` is below it are not positives. When two loads set one
    for the same type, the greater wins."""
    out: dict[str, float] = {}
    for r in read(driver, load_query("extract/dataset_params")):
        try:
            params = json.loads(r["params"])
        except (TypeError, ValueError):
            continue
        raw = params.get("min_weights") if isinstance(params, dict) else None
        for rtype, value in (raw or {}).items() if isinstance(raw, dict) else ():
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                out[str(rtype)] = max(float(value), out.get(str(rtype), -math.inf))
    return out
