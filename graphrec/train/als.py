"""``als``: implicit-feedback ALS (Hu, Koren & Volinsky, ICDM 2008) from the ``implicit`` library."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch import Tensor

from graphrec.loaders.types import RecGraph
from graphrec.train.base import Fitted, Recommender, Selection, dot_scorer
from graphrec.train.matrices import interactions
from graphrec.train.metrics import rank_metrics
from graphrec.train.search import search

GRID: tuple[tuple[int, float, float], ...] = (
    (64, 0.05, 2.0), (128, 0.05, 2.0), (128, 0.5, 2.0), (128, 0.05, 10.0), (256, 0.5, 2.0), (256, 5.0, 10.0))
"""(factors, regularisation, alpha) candidates tried on validation."""


class AlsRecommender(Recommender):
    """Weighted matrix factorisation by alternating least squares (``implicit.cpu.als``)."""

    name = "als"
    summary = "implicit's ALS (Hu et al. 2008): factors, regularisation and alpha chosen on validation"
    params = ("als_iterations", "als_factors")
    fold = "als"

    def estimate(self, graph: RecGraph) -> str:
        trials = len(GRID) if self.cfg.als_factors is None else 4
        return f"{trials} selection trials of {self.cfg.als_iterations} ALS iterations each, then one refit"

    def _fit(self, graph: RecGraph, pairs: Tensor, factors: int, reg: float, alpha: float) -> tuple[Tensor, Tensor]:
        from implicit.cpu.als import AlternatingLeastSquares

        x = interactions(pairs, graph.num_users, graph.num_items)
        factors = max(1, min(factors, min(x.shape) - 1))
        with threadpool_limits(1, "blas"):   # implicit's own threads do the work (its advice)
            model = AlternatingLeastSquares(factors=factors, regularization=reg, alpha=alpha,
                                            iterations=self.cfg.als_iterations, random_state=self.cfg.seed,
                                            num_threads=torch.get_num_threads())
            model.fit(x, show_progress=False)
        return (torch.from_numpy(np.ascontiguousarray(model.user_factors, dtype=np.float32)),
                torch.from_numpy(np.ascontiguousarray(model.item_factors, dtype=np.float32)))

    def select(self, graph: RecGraph, train: Tensor, valid: Tensor, progress: bool) -> Selection:
        rows: list[dict[str, Any]] = []
        grid = GRID if self.cfg.als_factors is None else tuple((self.cfg.als_factors, r, a) for _, r, a in GRID[:4])

        def trial(cand: tuple[int, float, float]) -> dict[str, float]:
            u, i = self._fit(graph, train, *cand)
            m = rank_metrics(u, i, valid, [train], (20, 10), self.score_batch(graph.num_items))
            rows.append({"factors": cand[0], "regularization": cand[1], "alpha": cand[2],
                         "valid_recall@20": m["recall@20"]})
            return m

        best = search(grid, trial, lambda m: m["recall@20"], label="als", progress=progress)
        assert best.candidate is not None and best.result is not None
        f, r, a = best.candidate
        return Selection(params={"factors": f, "regularization": r, "alpha": a}, valid=best.result,
                         info={"search": rows})

    def refit(self, graph: RecGraph, pairs: Tensor, chosen: Selection, progress: bool) -> Fitted:
        p = chosen.params
        u, i = self._fit(graph, pairs, int(p.get("factors", 128)), float(p.get("regularization", 0.05)),
                         float(p.get("alpha", 2.0)))
        return Fitted(scorer=dot_scorer(u, i), user_emb=u, item_emb=i, exact=True, info=dict(p))
