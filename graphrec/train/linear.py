"""Closed-form item–item recommenders: ``ease`` (the interaction matrix alone) and ``graph`` (the whole graph).

``graph`` — graphrec's default — is EASE over the *heterogeneous* graph, blended with a graph filter:

* the item Gram matrix gets the side information as extra rows, as in collective EASE (Jeunen, Van Balen
  & Goethals, "Closed-Form Models for Collaborative Filtering with Side-Information", RecSys 2020): side
  behaviours (``TAGGED`` beside ``LISTENED``) as a second row per user, every entity an item links to
  (genres, KG entities, whatever the relation type) as a pseudo-user, and item text as real-valued rows
  (``EEᵀ``, cosine similarity of the sentence-transformers embeddings);
* the scores are blended with GF-CF's ideal low-pass filter (Shen et al., CIKM 2021) computed on the same
  stacked matrix, which adds the graph's smooth, high-order structure that a linear item–item model lacks;
* on the dense path, items without a training interaction get their content similarity blended into their
  columns and a boost onto the warm scale (:mod:`graphrec.train.cold`); an opt-in re-ranking of the served
  lists for catalogue coverage (:mod:`graphrec.train.rerank`) widens the tail.

Every weight (λ, each side channel's weight, the filter's rank and blend) is chosen on a validation carve by
Recall@20 + NDCG@20; the chosen setting is then refit on the pairs it is given. On catalogues of up to
``search_items`` items the selection is bagged: it is run on three carves, each choice is refit and the
refit operators' scores are averaged (bagging, Breiman 1996: one operator, the dense parts summed and the
low-rank parts stacked). Vectors for the vector index are a rank-``dim`` factorisation of the final item–item
operator; RECOMMENDED relationships use the exact scores.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.errors import CapacityError
from graphrec.loaders.types import RecGraph
from graphrec.nn.linear import ease, ease_bytes, ease_inverse, ease_weights, ideal_lowpass, woodbury
from graphrec.nn.scalable import neighbourhood_solve, randomized_svd
from graphrec.train import distributed
from graphrec.train.base import Fitted, Recommender, Selection, TopK
from graphrec.train.budget import budget_line
from graphrec.train.cold import (
    CARVE_SEED_STEP,
    Similarity,
    blend_columns,
    boost_columns,
    choose_blend,
    choose_boost,
    cold_columns,
    cold_ratio,
    content_columns,
    pseudo_cold,
    zero_degree,
)
from graphrec.train.cold_users import CARVE_SEED_STEP as USER_SEED_STEP
from graphrec.train.cold_users import blended_scorer, choose_user_blend, needs_blend, pseudo_cold_users
from graphrec.train.colsample import ColumnSample
from graphrec.train.content import entity_vectors
from graphrec.train.estimate import item_item_work
from graphrec.train.matrices import SideInfo, interactions, side_info, to_torch
from graphrec.train.metrics import rank_scored
from graphrec.train.operator import Operator, RowProducts, SparseEase, SparseInputs
from graphrec.train.protocols import pair_times
from graphrec.train.rerank import CoverageRerank, choose_swaps
from graphrec.train.sampling import carve_validation
from graphrec.train.search import Best, climb, search

LAMBDA_STEPS = (1.0, 3.0, 10.0, 30.0)
SAMPLED_LAMBDA_STEPS = (3.0, 10.0, 30.0)
"""λ multiples where the sparse path chooses on sampled columns (ascending: the search stops at the first that
does not improve)."""
"""λ candidates as multiples of the mean diagonal of the Gram matrix (an item's mean degree)."""
GRAPH_LAMBDA_STEPS = (1.0, 3.0, 5.0, 10.0, 30.0)
"""``graph``'s λ candidates: 5× between 3× and 10× (on ml-100k the choice jumped between the two)."""


def selection_score(m: dict[str, float]) -> float:
    """``graph``'s validation criterion: Recall@20 + NDCG@20.

    The sum of two correlated estimates on the same users is less noisy than either; on ml-100k's folds
    choosing by Recall@20 alone let the carve's noise pick settings that test lower on both metrics.
    """
    return m["recall@20"] + m["ndcg@20"]


def _catalogue(graph: RecGraph) -> int:
    """Items of the catalogue ``graph`` stands for (a head view: the one it was cut from)."""
    return graph.head_of or graph.num_items


def _criterion(result: tuple[dict[str, float], Any]) -> float:
    """:func:`selection_score` of a trial that returns ``(metrics, solved matrix)``."""
    return selection_score(result[0])


Scored = Callable[[Any, dict[str, Any]], dict[str, float]]
DenseBest = Best[dict[str, float], tuple[dict[str, float], Tensor]]
"""The dense search's incumbent: channel weights → (validation metrics, the inverse ``P``)."""
"""``scored(B, entry)``: validation metrics of ``B`` alone, logged with ``entry``."""

SIDE_CHANNELS = ("behaviours", "entities", "text")
LATENT_RANK = 64
"""Global latent features each item regresses on beside its neighbourhood on the sparse path."""
DENSE_TOPK_FLOPS = 1e13
"""Above ``users · items · (rank + 1)`` of this, the sparse path's write-back top-K scores candidates only. A
candidate costs a gather of its factor rows, ~25× a dense multiply-add here, and at 100k items a user reaches
~3,000: scoring every item of 300k users × 100k items (3.9e12) took 328 s, the candidates ~5 s per 1,000 users
(~25 min); at 1M items × 2M users (2.6e14) scoring every item would take hours."""
POPULAR_CANDIDATES = 256
"""The most popular items every user gets as candidates beside the items their neighbourhoods reach."""
ITEM_ITEM_PARAMS: tuple[str, ...] = ("dim", "lam", "neighbours", "search_items", "select_items")
"""The settings both item–item models read (besides ``TrainConfig``'s common ones)."""


class _ItemItem(Recommender):
    """Shared machinery: the path (dense or sparse), λ candidates, the solves, scoring, vectors."""

    auto_sparse: ClassVar[bool] = False
    """Whether the model takes the sparse path by itself when the dense solve does not fit the memory bound
    (``graph``); otherwise only ``neighbours`` selects it and a dense solve that does not fit is refused."""
    steps: tuple[float, ...] = LAMBDA_STEPS
    params = ITEM_ITEM_PARAMS
    fold = "sum"   # publishes item_fold: a new user is the sum of its items' query factors

    def estimate(self, graph: RecGraph) -> str:
        return item_item_work(self, graph.num_items)

    def trials(self, num_items: int, lambdas: int) -> str:
        """How many selection trials a fit on ``num_items`` items may run, given ``lambdas`` λ candidates."""
        return f"up to {lambdas} selection trials ({lambdas} λ)"

    def path(self, num_items: int) -> str:
        """``"dense"`` where ``4·4·items²`` bytes fit under the memory bound (and ``neighbours`` is unset),
        else ``"sparse"``.

        Raises:
            CapacityError: the dense solve does not fit and this model has no sparse path of its own.
        """
        if self.cfg.neighbours:
            return "sparse"
        need, budget = ease_bytes(num_items, 4), self.budget()
        if need <= budget:
            return "dense"
        if self.auto_sparse:
            return "sparse"
        raise CapacityError(f"dense solve needs {need / (1 << 30):.1f} GiB > {budget / (1 << 30):.1f} GiB "
                            f"({num_items:,} items); --neighbours N gives {self.name} a sparse solve")

    def head_selection(self, num_items: int) -> bool:
        """Above ``select_items`` items the dense path chooses on the head (a head view keeps the path of the
        catalogue it was cut from: :meth:`path` of ``graph.head_of``); the sparse path chooses on a sample of the
        whole catalogue's columns instead (:meth:`column_sample`, :mod:`graphrec.train.colsample`)."""
        path = self.path(num_items)          # a model that cannot fit the catalogue says so before choosing
        return num_items > self.cfg.select_items and path == "dense"

    def column_sample(self, graph: RecGraph, train: Tensor, valid: Tensor) -> ColumnSample | None:
        """The columns a sparse-path selection above ``select_items`` items solves (``None``: every column)."""
        n = graph.num_items
        if graph.head_of or n <= self.cfg.select_items or self.path(n) != "sparse":
            return None
        return ColumnSample.build(train, valid, n, self.cfg.search_items)

    def neighbours(self, num_items: int) -> int:
        """Neighbours per item on the sparse path: ``neighbours``, else by catalogue size, fewer where the
        neighbour lists (ids, three channels' values and ``B``: 24 bytes an entry) would pass a quarter of the
        memory bound."""
        if self.cfg.neighbours:
            return max(1, min(self.cfg.neighbours, num_items - 1))
        m = 256 if num_items <= 20_000 else 128 if num_items <= 200_000 else 64
        fit_m = self.budget() // (4 * 24 * max(1, num_items))
        return int(max(1, min(max(8, min(m, fit_m)), num_items - 1)))

    def solve_width(self, items: int, catalogue: int) -> int:
        """Unknowns of one item's system when choosing on ``items`` items of a ``catalogue``-item catalogue: every
        item on the dense path; the neighbours and the :data:`LATENT_RANK` features on the sparse one."""
        if self.path(catalogue) == "dense":
            return items
        m = self.neighbours(catalogue)
        return m + (LATENT_RANK if m < items - 1 else 0)

    def _solve_batch(self, m: int) -> int:
        return int(max(8, min(512, self.budget() // (8 * 16 * m * m))))

    def _inputs(self, graph: RecGraph, pairs: Tensor, side: SideInfo | None,
                weights: dict[str, float]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """``(scoring input [U, I], stacked rows [R, I])`` for ``pairs`` and the weighted side channels."""
        x = interactions(pairs, graph.num_users, graph.num_items)
        stack = [x]
        if side is not None and side.behaviours is not None and weights.get("behaviours", 0) > 0:
            stack.append(side.behaviours * weights["behaviours"])
        if side is not None and side.entities is not None and weights.get("entities", 0) > 0:
            stack.append(side.entities * weights["entities"])
        return x, sp.vstack(stack).tocsr()

    def _gram(self, stacked: sp.csr_matrix, side: SideInfo | None, weights: dict[str, float]) -> Tensor:
        """The dense stacked Gram matrix (the dense path only)."""
        g = distributed.gram(stacked)   # XᵀX; in a process group summed over the ranks' rows
        if side is not None and side.text is not None and weights.get("text", 0) > 0:
            e = side.text
            g.addmm_(e, e.T, alpha=weights["text"] ** 2)
        return g

    def _sparse_b(self, sin: SparseInputs, weights: dict[str, float], lam: float,
                  cols: ColumnSample | None = None) -> SparseEase:
        """The sparse path's solve at ``weights`` and ``λ``: neighbourhoods plus :data:`LATENT_RANK` features
        (only the columns of ``cols`` where given)."""
        m, n = int(sin.gram.nbr.size(1)), sin.gram.num_items
        latent = sin.latent(weights, LATENT_RANK, self.cfg.seed) if m < n - 1 else None   # all neighbours: EASE
        width = m + (int(latent.v.size(1)) if latent is not None else 0)
        b, c = neighbourhood_solve(sin.gram, sin.weights(weights), lam, sin.factor(weights), latent,
                                   batch=self._solve_batch(width), columns=None if cols is None else cols.cols)
        return SparseEase(b, latent.v if latent is not None else None, c)

    def _metrics(self, op: Operator, inp: sp.csr_matrix, train: Tensor, valid: Tensor,
                 cols: ColumnSample | None = None) -> dict[str, float]:
        """Validation metrics of ``op``: ranking every item, or estimated from the columns of ``cols``."""
        score = op.scorer(inp)
        if cols is not None:
            return cols.metrics(score, inp, valid)
        return rank_scored(score, inp.shape[1], valid, [train], (20, 10), self.score_batch(inp.shape[1]))

    def _fitted(self, op: Operator, inp: sp.csr_matrix, info: dict[str, Any]) -> Fitted:
        """Exact scores through ``op``; vectors from a randomised SVD of ``op`` (never densified)."""
        def score(users: Tensor) -> Tensor:
            return op.apply(inp[users.long().cpu().numpy()])
        n = inp.shape[1]
        u, s, v = randomized_svd(op.matvec, op.rmatvec, n, min(self.cfg.dim, n - 1), niter=4, seed=self.cfg.seed)
        root = s.clamp(min=0).sqrt()
        item_emb = (v * root).contiguous()
        fold = (u * root).contiguous()   # a user's vector is the sum of these rows over the items they have
        user_emb = (to_torch(inp) @ fold).contiguous()
        top = self._candidate_top(op, inp)
        return Fitted(scorer=score, user_emb=user_emb, item_emb=item_emb, exact=False, item_fold=fold, top=top,
                      info={**info, "path": "sparse" if op.sparse else "dense",
                            "top_k": "exact" if top is None else "candidates"})

    @staticmethod
    def _candidate_top(op: Operator, inp: sp.csr_matrix) -> TopK | None:
        """The write-back top-K among each user's candidates (:meth:`Operator.top_among`: the items the sparse
        ``B`` reaches from theirs, and the :data:`POPULAR_CANDIDATES` most popular items) where scoring every
        item for every user would pass :data:`DENSE_TOPK_FLOPS`; ``None`` (exact over all items) otherwise."""
        users, n = inp.shape
        rank = sum(int(left.size(1)) for left, _, _ in op.lows)
        if not op.sparse or users * n * (rank + 1) <= DENSE_TOPK_FLOPS:
            return None
        popular = np.argsort(-np.asarray(inp.getnnz(axis=0)).ravel(), kind="stable")[:POPULAR_CANDIDATES]

        def top(users: Tensor, seen: tuple[Tensor, Tensor], k: int) -> tuple[Tensor, Tensor]:
            return op.top_among(inp[users.long().cpu().numpy()], popular, seen, k)
        return top

    def _lambdas(self, inp: sp.csr_matrix, num_items: int) -> list[float]:
        """λ candidates: multiples of the mean item degree (the Gram matrix's mean diagonal)."""
        if self.cfg.lam:
            return [self.cfg.lam]
        base = max(1.0, float(inp.getnnz()) / max(1, inp.shape[1]))
        return [round(base * s, 4) for s in self._lambda_steps(num_items)]

    def _default_lambda(self, inp: sp.csr_matrix, num_items: int) -> float:
        """λ of a refit without a chosen one: ``lam`` when set, else the second candidate (3× the mean degree)."""
        lams = self._lambdas(inp, num_items)
        return lams[min(1, len(lams) - 1)]

    def _lambda_steps(self, num_items: int) -> tuple[float, ...]:
        if self.cfg.lam:
            return (1.0,)
        # above search_items: the best multiples on ml-100k, lastfm-2k and the amazon-book λ (250 ≈ 7×
        # its mean degree); on sampled columns also 30× (the 100k-item topic graph's best fixed λ, 600, is 28×)
        if num_items <= self.cfg.search_items:
            return self.steps
        sampled = num_items > self.cfg.select_items and self.path(num_items) == "sparse"
        return SAMPLED_LAMBDA_STEPS if sampled else (3.0, 10.0)


class EaseRecommender(_ItemItem):
    """EASE on the interaction matrix alone: the strongest simple peer."""

    name = "ease"
    summary = "EASE (Steck 2019): closed-form item–item on the interactions alone; λ chosen on validation"

    def _b(self, inp: sp.csr_matrix, catalogue: int,
           cols: ColumnSample | None = None) -> Callable[[float], Tensor | SparseEase]:
        """``λ ↦ B`` on ``inp`` by the path of a ``catalogue``-item catalogue (the Gram matrix or neighbourhoods
        built once; on the sparse path only the columns of ``cols`` where given)."""
        if self.path(catalogue) == "sparse":
            sin = SparseInputs.build(inp, None, self.neighbours(catalogue))
            return lambda lam: self._sparse_b(sin, {}, lam, cols)
        g = self._gram(inp, None, {})
        return lambda lam: ease(g.clone().to(self.device), lam).cpu()

    def select(self, graph: RecGraph, train: Tensor, valid: Tensor, progress: bool) -> Selection:
        inp = interactions(train, graph.num_users, graph.num_items)
        cols = self.column_sample(graph, train, valid)
        solve = self._b(inp, _catalogue(graph), cols)
        rows: list[dict[str, float]] = []

        def trial(lam: float) -> dict[str, float]:
            m = self._metrics(Operator.of(solve(lam)), inp, train, valid, cols)
            rows.append({"lam": lam, "valid_recall@20": m["recall@20"]})
            return m

        best = search(self._lambdas(inp, graph.num_items), trial, lambda m: m["recall@20"], label="ease λ",
                      progress=progress)
        assert best.candidate is not None and best.result is not None
        return Selection(params={"lam": best.candidate, "path": self.path(_catalogue(graph))}, valid=best.result,
                         info={"search": rows})

    def refit(self, graph: RecGraph, pairs: Tensor, chosen: Selection, progress: bool) -> Fitted:
        inp = interactions(pairs, graph.num_users, graph.num_items)
        lam = float(chosen.params.get("lam") or self._default_lambda(inp, graph.num_items))
        b = self._b(inp, graph.num_items)(lam)
        return self._fitted(Operator.of(b), inp, {"lam": lam})


FILTER_RANKS = (32, 64, 128)
FILTER_BLENDS = (0.0, 0.2, 0.35, 0.5)
SIDE_WEIGHTS = {"behaviours": (0.5, 1.0, 2.0), "entities": (1.0, 2.0, 4.0), "text": (1.0, 3.0)}
"""Weight candidates per side channel, tried greedily in this order (a channel keeps weight 0 unless one helps)."""
BAG_CARVES = 3
"""Selections ``graph`` averages on catalogues of up to ``search_items`` items (dense solves only): the given
validation pairs and ``BAG_CARVES - 1`` more seeded carves of train ∪ valid, each choice refit and the
scores averaged (bagging over the selection, Breiman 1996)."""
BAG_SEED_STEP = 10_007
PROBE_RANK, PROBE_BLEND = 64, 0.35
"""The filter a sampled-column trial is judged with (:meth:`GraphRecommender._probe_filter`)."""
SPARSE_PATIENCE = 1
"""The sparse search stops a step (λ ascending, a channel's weights ascending) at its first candidate that does
not improve: each trial is a solve over the catalogue's neighbourhoods, and on the synthetic graphs past the
peak the curve only fell (BENCHMARKS.md § scale)."""


class GraphRecommender(_ItemItem):
    """EASE over interactions + side behaviours + entities + text, blended with a low-pass graph filter."""

    name = "graph"
    summary = ("EASE over the whole graph (side behaviours, KG/entities, text as extra rows) blended with "
               "GF-CF's low-pass graph filter; every weight chosen on validation (default)")
    uses_graph = True
    auto_sparse = True
    steps = GRAPH_LAMBDA_STEPS
    params = (*ITEM_ITEM_PARAMS, "side", "filter", "cold_boost", "pop_debias")
    ablations: ClassVar[dict[str, dict[str, Any]]] = {
        "graph -behaviours": {"side": ("entities", "text")},
        "graph -entities": {"side": ("behaviours", "text")},
        "graph -text": {"side": ("behaviours", "entities")},
        "graph -filter": {"filter": False},
        "graph -side": {"side": ()},
    }
    """The model without one of its parts (``-side``: no side channel at all)."""

    def trials(self, num_items: int, lambdas: int) -> str:
        side = sum(len(v) for c, v in SIDE_WEIGHTS.items() if c in self.cfg.side)
        filt = len(FILTER_RANKS) * (len(FILTER_BLENDS) - 1) if self.cfg.filter else 0
        bags = BAG_CARVES if num_items <= self.cfg.search_items else 1
        carves = f", on each of {bags} validation carves" if bags > 1 else ""
        return (f"up to {(lambdas + side + filt) * bags} selection trials ({lambdas} λ, {side} side-channel "
                f"weights, {filt} filter{carves})")

    def _channels(self, side: SideInfo) -> list[str]:
        present = {"behaviours": side.behaviours is not None, "entities": side.entities is not None,
                   "text": side.text is not None}
        return [c for c in SIDE_CHANNELS if c in self.cfg.side and present[c]]

    def _operator(self, b: Tensor | SparseEase, left: Tensor | None, right: Tensor | None, blend: float,
                  inp: sp.csr_matrix, products: RowProducts | None = None) -> Operator:
        """``B`` and the filter blended on one scale: each part divided by the mean row norm of its scores on
        a sample of users. The operator remembers its ``x_u B`` for ``inp``'s rows (``products``: those of the
        same ``B`` to share, as every blend of one ``B`` does)."""
        n_users = inp.shape[0]
        idx = np.arange(0, n_users, max(1, n_users // 512))
        part = Operator.of(b).remember(inp, products)
        sb = float(part.score_rows(inp, idx).norm(dim=1).mean().clamp(min=1e-12))
        if left is None or right is None or blend <= 0:
            return Operator.of(b, 1.0 / sb).remember(inp, part.products)
        sf = float(((to_torch(inp[idx]) @ left) @ right.T).norm(dim=1).mean().clamp(min=1e-12))
        op = Operator.of(b, (1 - blend) / sb).remember(inp, part.products)
        op.lows.append((left, right, blend / sf))
        return op

    def _bagged(self, graph: RecGraph) -> int:
        """Selections to average: :data:`BAG_CARVES` on small catalogues (either path), else one (each costs a
        search, and each member a refit on the whole catalogue: a head view counts as the catalogue it was cut
        from)."""
        small = (graph.head_of or graph.num_items) <= self.cfg.search_items
        return BAG_CARVES if small else 1

    def select(self, graph: RecGraph, train: Tensor, valid: Tensor, progress: bool) -> Selection:
        chosen = self._select_bagged(graph, train, valid, progress)
        cold = self._cold_boost(graph, train, valid, chosen.params, progress)
        for key in ("cold_blend", "cold_sim", "cold_boost"):
            if key in cold:
                chosen.params[key] = cold[key]
        chosen.info.update({k: v for k, v in cold.items() if k.endswith("_search")})
        users = self._cold_users(graph, train, valid, chosen.params, progress)
        if users:
            chosen.params["user_blend"] = users["user_blend"]
            chosen.params["user_power"] = users["user_power"]
            chosen.info["user_search"] = users["user_search"]
        pop = self._pop_debias(graph, train, valid, chosen.params, progress)
        if pop:
            chosen.params["cover_swaps"] = pop["cover_swaps"]
            chosen.info["cover_search"] = pop["cover_search"]
        return chosen

    def _pop_debias(self, graph: RecGraph, train: Tensor, valid: Tensor, p: dict[str, Any],
                    progress: bool) -> dict[str, Any]:
        """The coverage re-ranking's swaps per user (:mod:`graphrec.train.rerank`) on ``valid``, the first member
        refit on ``train`` with the chosen cold boost (``{}``: ``pop_debias`` ``None``, or the sparse path)."""
        budget = self.cfg.pop_debias
        if budget is None or not self._debiases(graph):
            return {}
        inp = interactions(train, graph.num_users, graph.num_items)
        member = (p.get("members") or [p])[0]
        op, _ = self._refit_one(graph, train, side_info(graph), member, inp)
        self._scale_items(graph, op, train, inp, {k: p.get(k) for k in ("cold_blend", "cold_sim", "cold_boost")})
        return choose_swaps(op, inp, train, valid, budget, self.score_batch(graph.num_items), progress)

    def _cold_boost(self, graph: RecGraph, train: Tensor, valid: Tensor, p: dict[str, Any],
                    progress: bool) -> dict[str, Any]:
        """The cold items' content blend and boost (:mod:`graphrec.train.cold`) where the dense path's catalogue has
        items without a pair in ``train ∪ valid``: chosen on a pseudo-cold carve, refit with the first member's
        choice (``{}``: no such item, ``cold_boost`` ``None``, or the sparse path)."""
        n = graph.num_items
        cold = zero_degree(torch.cat([train.long().cpu(), valid.long().cpu()], 1), n)
        budget = self.cfg.cold_boost
        if budget is None or not self._tunes_cold_items(graph, cold):
            return {}
        carve = pseudo_cold(train, valid, cold.numel() / n, self.cfg.seed + CARVE_SEED_STEP)
        inp = interactions(carve.train, graph.num_users, n)
        member = (p.get("members") or [p])[0]
        op, _ = self._refit_one(graph, carve.train, side_info(graph), member, inp)
        out: dict[str, Any] = {}
        zero = zero_degree(carve.train, n)
        sims = self._cold_sims(graph, zero)
        if sims is not None:
            out = choose_blend(op, inp, carve, sims, self.score_batch(n), progress)
            sim = cold_columns(op, sims, zero, out["cold_sim"])
            if out["cold_blend"] and sim is not None:
                blend_columns(op, inp, zero, sim, out["cold_blend"])
        return {**out, **choose_boost(op, inp, carve, budget, self.score_batch(n), progress)}

    def _cold_users(self, graph: RecGraph, train: Tensor, valid: Tensor, p: dict[str, Any],
                    progress: bool) -> dict[str, Any]:
        """The few-interaction users' popularity blend (:mod:`graphrec.train.cold_users`), chosen on a pseudo-cold-user
        carve with the first member refit on it (``{}``: no user with so few pairs, or the sparse path)."""
        n = graph.num_items
        if not self._tunes_cold_users(graph, train, valid):
            return {}
        carve = pseudo_cold_users(train, valid, self.cfg.seed + USER_SEED_STEP, pair_times(graph, train.long().cpu()))
        inp = interactions(carve.train, graph.num_users, n)
        member = (p.get("members") or [p])[0]
        op, _ = self._refit_one(graph, carve.train, side_info(graph), member, inp)
        self._scale_items(graph, op, carve.train, inp, {k: p.get(k) for k in ("cold_blend", "cold_sim", "cold_boost")})
        return choose_user_blend(op, inp, carve, self.score_batch(n), progress)

    def _tunes_cold_items(self, graph: RecGraph, cold: Tensor) -> bool:
        """Whether the selection chooses the cold items' blend and boost (``cold``: the items without a pair)."""
        return self.cfg.cold_boost is not None and cold.numel() > 0 and self.path(_catalogue(graph)) == "dense"

    def _tunes_cold_users(self, graph: RecGraph, train: Tensor, valid: Tensor) -> bool:
        """Whether the selection chooses the few-interaction users' popularity blend."""
        return self.path(_catalogue(graph)) == "dense" and \
            needs_blend(torch.cat([train.long().cpu(), valid.long().cpu()], 1), graph.num_users)

    def _debiases(self, graph: RecGraph) -> bool:
        """Whether the selection chooses the coverage re-ranking's swaps per user."""
        return self.cfg.pop_debias is not None and self.path(_catalogue(graph)) == "dense"

    def _stage_refits(self, graph: RecGraph, train: Tensor, valid: Tensor) -> int:
        """Solves the stages after the weights' search take: one refit of the first member each, on its own carve
        (the cold items', the cold users') or on the selection pairs (the popularity exponent)."""
        cold = zero_degree(torch.cat([train.long().cpu(), valid.long().cpu()], 1), graph.num_items)
        return sum((self._tunes_cold_items(graph, cold), self._tunes_cold_users(graph, train, valid),
                    self._debiases(graph)))

    def _cold_sims(self, graph: RecGraph, cold: Tensor) -> Similarity | None:
        """``(entity weight, k) ↦`` the content similarity of every item to each ``cold`` item by the text and
        entities the side channels allow (:func:`graphrec.train.cold.content_columns`); ``None`` without either.
        The latest ``(weight, k)``'s columns are remembered: the borrowed-column trials ask for the same six times
        in a row (on lastfm-2k 3.5 s each)."""
        side = side_info(graph)
        text = side.text if "text" in self.cfg.side else None
        ents = entity_vectors(side.entities, graph.num_items) if "entities" in self.cfg.side else None
        if text is None and ents is None:
            return None

        @functools.lru_cache(maxsize=1)
        def sims(weight: float, k: int) -> Tensor | None:
            return content_columns(text, ents, cold, weight, k)
        return sims

    def _select_bagged(self, graph: RecGraph, train: Tensor, valid: Tensor, progress: bool) -> Selection:
        n = self._bagged(graph)
        cols = self.column_sample(graph, train, valid)
        if progress:
            if cols is not None:
                print(f"  {self.name}: choosing on {int(cols.cols.numel()):,} of {graph.num_items:,} items' columns "
                      f"(every {1 / cols.share:.0f}th by popularity, and the validation items)", file=sys.stderr,
                      flush=True)
            print(f"  {self._budget_line(graph, n, cols, self._stage_refits(graph, train, valid))}", file=sys.stderr,
                  flush=True)
        first = self._select_once(graph, train, valid, progress, cols)
        if n == 1:
            return first
        # a single 10% carve's noise decides between near-equal settings that test differently; averaging
        # the refits of several carves' choices raised ml-100k's test scores on every fold (BENCHMARKS.md)
        union = torch.cat([train.long().cpu(), valid.long().cpu()], 1)
        share = valid.size(1) / max(1, union.size(1))
        members = [first]
        for j in range(1, n):
            tr, va = carve_validation(union, graph.num_users, share, self.cfg.seed + BAG_SEED_STEP * j)
            members.append(self._select_once(graph, tr, va, progress))
        params = {**first.params, "members": [m.params for m in members]}
        return Selection(params=params, valid=first.valid,
                         info={**first.info, "members_valid": [m.valid for m in members]})

    def _budget_line(self, graph: RecGraph, carves: int, cols: ColumnSample | None, refits: int = 0) -> str:
        """The selection's budget line: solves (an upper bound where a search may stop early: the sparse one, the
        dense λ climb; of the columns of ``cols`` where given) and trials without a solve (Woodbury updates, the
        filter), times ``carves``, plus the ``refits`` of the stages after the search (:meth:`_stage_refits`)."""
        side = side_info(graph)
        n = graph.num_items if cols is None else int(cols.cols.numel())
        path = self.path(_catalogue(graph))
        channels = self._channels(side)
        per = [len(SIDE_WEIGHTS[ch]) for ch in channels]
        width = self.solve_width(n, _catalogue(graph))
        if path == "sparse":
            solves, others = sum(per), 0
        else:
            cheap = [self._rank(side, ch) <= n // 4 for ch in channels]
            if graph.num_items > self.cfg.search_items:      # a full-rank channel tries its middle weight only
                per = [p if c else 1 for p, c in zip(per, cheap, strict=True)]
            solves = sum(p for p, c in zip(per, cheap, strict=True) if not c)
            others = sum(p for p, c in zip(per, cheap, strict=True) if c)
        solves += len(self._lambda_steps(graph.num_items))
        others += len(FILTER_RANKS) * (len(FILTER_BLENDS) - 1) if self.cfg.filter else 0
        return budget_line(self.name, path, n, width, solves * carves + refits, others * carves, refits)

    def _select_once(self, graph: RecGraph, train: Tensor, valid: Tensor, progress: bool,
                     cols: ColumnSample | None = None) -> Selection:
        """One greedy search: λ on the interactions alone, each side channel's weight, the filter (on the columns
        of ``cols`` where given)."""
        side = side_info(graph)
        inp = interactions(train, graph.num_users, graph.num_items)
        path = self.path(_catalogue(graph))
        rows: list[dict[str, Any]] = []
        probe, factors = self._probe_filter(graph, train, side, cols)

        def scored(b: Tensor | SparseEase, entry: dict[str, Any]) -> dict[str, float]:
            left, right, blend = probe({k[2:]: v for k, v in entry.items() if k.startswith("w_")})
            m = self._metrics(self._operator(b, left, right, blend, inp), inp, train, valid, cols)
            rows.append({**entry, "valid_recall@20": m["recall@20"], "valid_ndcg@20": m["ndcg@20"]})
            return m

        lams = self._lambdas(inp, graph.num_items)
        b: Tensor | SparseEase
        if path == "sparse":
            lam, weights, b, best_m = self._search_sparse(graph, side, inp, lams, scored, progress, cols)
        else:
            lam, weights, b, best_m = self._search_dense(graph, side, train, inp, lams, scored, progress)
        start = (PROBE_RANK, PROBE_BLEND) if cols is not None and self.cfg.filter else (0, 0.0)
        rank, blend, best_m = self._select_filter(b, lambda: factors(weights), inp, (train, valid, cols),
                                                  (start, best_m), rows, progress)
        params = {"lam": lam, "weights": weights, "filter_rank": rank, "blend": blend, "path": path}
        if cols is not None:
            params["columns"] = int(cols.cols.numel())
        return Selection(params=params, valid=best_m, info={"search": rows, "side": side.describe()})

    def _probe_filter(self, graph: RecGraph, train: Tensor, side: SideInfo, cols: ColumnSample | None) -> tuple[
            Callable[[dict[str, float]], tuple[Tensor | None, Tensor | None, float]],
            Callable[[dict[str, float]], tuple[Tensor, Tensor]]]:
        """``(probe, factors)``: ``weights ↦ (L, R, blend)`` of the filter a trial is judged with — on sampled
        columns the filter of those weights' stacked matrix at :data:`PROBE_RANK` and :data:`PROBE_BLEND`, else
        none — and ``weights ↦`` the filter's factors at the largest of :data:`FILTER_RANKS` (``R`` on the columns
        of ``cols`` where given): one SVD per weights, which the probe and the filter search share.

        On the 100k-item topic graph (full-catalogue validation Recall@20) λ = 600 with the entity rows gave 0.1418
        with the filter at blend 0.5 and 0.1087 without it, λ = 203 without them 0.1098 either way: judged without
        the filter the entity rows showed nothing (BENCHMARKS.md § scale-selection); the filter of the stacked
        matrix with the KG is where they pay."""
        cache: dict[tuple[tuple[str, float], ...], tuple[Tensor, Tensor]] = {}

        def factors(weights: dict[str, float]) -> tuple[Tensor, Tensor]:
            key = tuple(sorted(weights.items()))
            if key not in cache:
                _, stacked = self._inputs(graph, train, side, weights)
                left, right = self._lowrank_for(stacked, max(FILTER_RANKS))
                cache[key] = (left, right if cols is None else right[cols.cols])
            return cache[key]

        def probe(weights: dict[str, float]) -> tuple[Tensor | None, Tensor | None, float]:
            if cols is None or not self.cfg.filter:
                return None, None, 0.0
            left, right = factors(weights)
            return left[:, :PROBE_RANK], right[:, :PROBE_RANK], PROBE_BLEND
        return probe, factors

    def _weight_candidates(self, ch: str, before: dict[str, float]) -> list[dict[str, float]]:
        return [{**before, ch: wv} for wv in SIDE_WEIGHTS[ch]]

    def _search_dense(self, graph: RecGraph, side: SideInfo, train: Tensor, inp: sp.csr_matrix, lams: list[float],
                      scored: Scored, progress: bool) -> tuple[float, dict[str, float], Tensor, dict[str, float]]:
        """The dense search: each λ one inverse; a low-rank channel's weights by Woodbury from the best one."""
        best = self._dense_lambda(inp, lams, scored, progress)
        assert best.candidate is not None and best.result is not None
        lam = best.candidate
        incumbent: DenseBest = Best({}, best.result, best.score)
        del best
        for ch in self._channels(side):
            incumbent = self._dense_channel(graph, side, train, ch, lam, incumbent, scored, progress)
        assert incumbent.result is not None and incumbent.candidate is not None
        weights, (best_m, best_p) = incumbent.candidate, incumbent.result
        del incumbent
        return lam, weights, ease_weights(best_p).cpu(), best_m

    def _dense_lambda(self, inp: sp.csr_matrix, lams: list[float], scored: Scored,
                      progress: bool) -> Best[float, tuple[dict[str, float], Tensor]]:
        g0 = self._gram(inp, None, {})

        def trial(cand: float) -> tuple[dict[str, float], Tensor]:
            p = ease_inverse(g0.clone().to(self.device), cand)
            return scored(ease_weights(p.clone()).cpu(), {"lam": cand}), p

        # validation scores rise then fall along λ: walked from the middle step, a carve's λ costs 3-4 solves of 5
        return climb(lams, len(lams) // 2, trial, _criterion, label="graph λ", progress=progress)

    def _dense_channel(self, graph: RecGraph, side: SideInfo, train: Tensor, ch: str, lam: float,
                       incumbent: DenseBest, scored: Scored, progress: bool) -> DenseBest:
        """The best weight of one side channel, each trial starting from the incumbent's inverse."""
        assert incumbent.result is not None and incumbent.candidate is not None
        base = incumbent.result[1]
        low_rank = self._rank(side, ch) <= graph.num_items // 4
        u = self._factor(side, ch, 1.0).to(self.device) if low_rank else None
        pu = base @ u if u is not None else None
        cands = self._weight_candidates(ch, incumbent.candidate)
        if not low_rank and graph.num_items > self.cfg.search_items:
            cands = cands[len(cands) // 2:len(cands) // 2 + 1]

        def trial(w: dict[str, float]) -> tuple[dict[str, float], Tensor]:
            wv = w[ch]
            if u is not None and pu is not None:       # (A + UUᵀ)⁻¹ from A⁻¹: no new cubic solve (Woodbury)
                p = woodbury(base, u * wv, pu * wv)
            else:
                _, stacked = self._inputs(graph, train, side, w)
                p = ease_inverse(self._gram(stacked, side, w).to(self.device), lam)
            return scored(ease_weights(p.clone()).cpu(), {"lam": lam, **{f"w_{k}": v for k, v in w.items()}}), p

        return search(cands, trial, _criterion, best=incumbent, label=f"graph {ch}", progress=progress)

    def _search_sparse(self, graph: RecGraph, side: SideInfo, inp: sp.csr_matrix, lams: list[float], scored: Scored,
                       progress: bool,
                       cols: ColumnSample | None) -> tuple[float, dict[str, float], SparseEase, dict[str, float]]:
        """The same greedy search on the sparse path: the neighbourhoods are built once, each trial solves (the
        columns of ``cols`` where given)."""
        sin = SparseInputs.build(inp, side, self.neighbours(_catalogue(graph)), progress)

        def trial(cand: tuple[float, dict[str, float]]) -> tuple[dict[str, float], SparseEase]:
            lam, w = cand
            b = self._sparse_b(sin, w, lam, cols)
            return scored(b, {"lam": lam, **{f"w_{k}": v for k, v in w.items()}}), b

        start: list[tuple[float, dict[str, float]]] = [(lam, {}) for lam in lams]
        best = search(start, trial, _criterion, label="graph λ", progress=progress, patience=SPARSE_PATIENCE)
        assert best.candidate is not None
        lam = best.candidate[0]
        for ch in self._channels(side):
            cands = [(lam, w) for w in self._weight_candidates(ch, best.candidate[1])]
            best = search(cands, trial, _criterion, best=best, label=f"graph {ch}", progress=progress,
                          patience=SPARSE_PATIENCE)
            assert best.candidate is not None
        assert best.candidate is not None and best.result is not None
        return lam, best.candidate[1], best.result[1], best.result[0]

    @staticmethod
    def _rank(side: SideInfo, ch: str) -> int:
        """Rows a channel adds to the stacked matrix (text: its embedding width)."""
        m = {"behaviours": side.behaviours, "entities": side.entities}.get(ch)
        if ch == "text":
            return int(side.text.size(1)) if side.text is not None else 0
        return int(m.shape[0]) if m is not None else 0

    @staticmethod
    def _factor(side: SideInfo, ch: str, weight: float) -> Tensor:
        """``U`` (``[I, k]``) with ``UUᵀ`` the channel's term of the Gram matrix at ``weight``."""
        if ch == "text":
            assert side.text is not None
            return side.text * weight
        m = side.behaviours if ch == "behaviours" else side.entities
        assert m is not None
        return torch.from_numpy(np.asarray((m.T * weight).toarray(), dtype=np.float32))

    def _select_filter(self, b: Tensor | SparseEase, factors: Callable[[], tuple[Tensor, Tensor]],
                       inp: sp.csr_matrix, split: tuple[Tensor, Tensor, ColumnSample | None],
                       start: tuple[tuple[int, float], dict[str, float]], rows: list[dict[str, Any]],
                       progress: bool) -> tuple[int, float, dict[str, float]]:
        """The low-pass filter's rank and blend (``(0, 0.0)``: no filter) and the best validation metrics, on
        ``(train, valid, columns)``, from ``start``: the incumbent ``(rank, blend)`` and its metrics; ``factors()``
        gives the filter's factors at the largest rank (``R`` on the columns solved)."""
        if not self.cfg.filter:
            return 0, 0.0, start[1]
        train, valid, cols = split
        best: Best[tuple[int, float], dict[str, float]] = Best(start[0], start[1], selection_score(start[1]))
        full_left, full_right = factors()
        products = Operator.of(b).remember(inp).products      # every trial shares x_u B
        for k in FILTER_RANKS:
            left, right = full_left[:, :k], full_right[:, :k]

            def trial(cand: tuple[int, float], left: Tensor = left, right: Tensor = right) -> dict[str, float]:
                m = self._metrics(self._operator(b, left, right, cand[1], inp, products), inp, train, valid, cols)
                rows.append({"filter_rank": cand[0], "blend": cand[1], "valid_recall@20": m["recall@20"],
                             "valid_ndcg@20": m["ndcg@20"]})
                return m

            best = search([(k, bl) for bl in FILTER_BLENDS[1:]], trial, selection_score, best=best,
                          label="graph filter", progress=progress)
        assert best.candidate is not None and best.result is not None
        return best.candidate[0], best.candidate[1], best.result

    def _lowrank_for(self, stacked: sp.csr_matrix, k: int) -> tuple[Tensor, Tensor]:
        """The filter's factors of rank ``k``: the first ``k`` of one randomised SVD at the largest of
        :data:`FILTER_RANKS` (or ``k`` if larger), so every rank the selection tries, and the refit, share it."""
        left, right = self._lowpass(stacked, max(k, *FILTER_RANKS))
        return left[:, :k].contiguous(), right[:, :k].contiguous()

    def _lowpass(self, stacked: sp.csr_matrix, k: int) -> tuple[Tensor, Tensor]:
        du = np.asarray(stacked.sum(1)).ravel()
        di = np.asarray(stacked.sum(0)).ravel().clip(min=1.0)
        ru = 1.0 / np.sqrt(np.where(du > 0, du, 1.0))
        norm = (sp.diags(ru) @ stacked @ sp.diags(1.0 / np.sqrt(di))).tocsr()
        return ideal_lowpass(norm, torch.from_numpy(di.astype(np.float32)), k, self.cfg.seed)

    def refit(self, graph: RecGraph, pairs: Tensor, chosen: Selection, progress: bool) -> Fitted:
        side = side_info(graph)
        members: list[dict[str, Any]] = list(chosen.params.get("members") or [chosen.params])
        inp = interactions(pairs, graph.num_users, graph.num_items)
        infos: list[dict[str, Any]] = []

        def refits() -> Iterator[Operator]:     # one member's dense B at a time beside the running mean
            for p in members:
                op, info = self._refit_one(graph, pairs, side, p, inp, progress)
                infos.append(info)
                yield op
                del op          # before the next member's solve

        op = next(refits()) if len(members) == 1 else mean_operator(refits(), len(members))
        op.products = None      # the fitted operator scores any user: no memo of these rows kept with it
        info = {**infos[0], **({"members": infos} if len(members) > 1 else {}), "side": side.describe()}
        info.update(self._scale_items(graph, op, pairs, inp, chosen.params))
        fitted = self._fitted(op, inp, info)
        w = float(chosen.params.get("user_blend") or 0.0)
        if w and not op.sparse:     # the users with a handful of items: popularity blended in
            power = float(chosen.params.get("user_power") or 0.0)
            fitted.scorer = blended_scorer(fitted.scorer, inp, w, power)
            fitted.info.update(user_blend=w, user_power=power)
        swaps = int(chosen.params.get("cover_swaps") or 0)
        if swaps:                   # the served lists re-ranked together for catalogue coverage
            fitted.rerank = CoverageRerank(swaps)
            fitted.info["cover_swaps"] = swaps
        return fitted

    def _scale_items(self, graph: RecGraph, op: Operator, pairs: Tensor, inp: sp.csr_matrix,
                     p: dict[str, Any]) -> dict[str, Any]:
        """The chosen per-item changes, in place on a dense ``op`` fitted on ``pairs``: the items without a pair get
        the content blend and the cold boost (:mod:`graphrec.train.cold`). Returns what was applied, for the fit's
        info."""
        out: dict[str, Any] = {}
        if op.sparse:
            return out
        n = int(inp.shape[1])
        m, alpha = float(p.get("cold_boost") or 0.0), float(p.get("cold_blend") or 0.0)
        cold = zero_degree(pairs, n)
        sims = self._cold_sims(graph, cold) if alpha and cold.numel() else None
        sim = cold_columns(op, sims, cold, p.get("cold_sim") or (1.0, 0)) if sims is not None else None
        if sim is not None:
            blend_columns(op, inp, cold, sim, alpha)
            out["cold_blend"] = alpha
        if m and cold.numel():     # the items without a training pair, on the warm scale
            factor = m * cold_ratio(op, inp, cold)
            boost_columns(op, cold, factor)
            out["cold_boost"] = {"items": int(cold.numel()), "factor": factor}
        return out

    def _refit_one(self, graph: RecGraph, pairs: Tensor, side: SideInfo, p: dict[str, Any],
                   inp: sp.csr_matrix, progress: bool = False) -> tuple[Operator, dict[str, Any]]:
        weights = {k: float(v) for k, v in (p.get("weights") or {}).items()}
        _, stacked = self._inputs(graph, pairs, side, weights)
        lam = float(p.get("lam") or self._default_lambda(inp, graph.num_items))
        b: Tensor | SparseEase
        if self.path(graph.num_items) == "sparse":
            sin = SparseInputs.build(inp, side, self.neighbours(graph.num_items), progress)
            b = self._sparse_b(sin, weights, lam)
            del sin
        else:
            b = ease(self._gram(stacked, side, weights).to(self.device), lam).cpu()
        rank, blend = int(p.get("filter_rank") or 0), float(p.get("blend") or 0.0)
        left, right = self._lowrank_for(stacked, rank) if rank and blend else (None, None)
        op = self._operator(b, left, right, blend, inp)
        return op, {"lam": lam, "weights": weights, "filter_rank": rank, "blend": blend}


def mean_operator(ops: Iterable[Operator], n: int) -> Operator:
    """One operator scoring the mean of the ``n`` operators ``ops`` (``B`` parts summed — a dense one into the
    first's storage, in place — and low-rank factors stacked)."""
    b: Tensor | sp.csr_matrix | None = None
    lefts, rights = [], []
    for op in ops:
        if isinstance(op.b, Tensor):
            part: Tensor | sp.csr_matrix = op.b.mul_(op.b_scale / n)
            b = part if b is None else b.add_(part)
        else:
            part = op.b * (op.b_scale / n)
            b = part if b is None else (b + part).tocsr()
        for left, right, scale in op.lows:
            lefts.append(left * (scale / n))
            rights.append(right)
        del op, part
    if b is None:
        raise ValueError("mean_operator: no operators")
    if not lefts:
        return Operator(b)
    return Operator(b, [(torch.cat(lefts, 1), torch.cat(rights, 1), 1.0)])
