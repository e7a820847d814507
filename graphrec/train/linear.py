"""Closed-form item–item recommenders: ``ease`` (the interaction matrix alone) and ``graph`` (the whole graph).

``graph`` — graphrec's default — is EASE over the *heterogeneous* graph, blended with a graph filter:

* the item Gram matrix gets the side information as extra rows, as in collective EASE (Jeunen, Van Balen
  & Goethals, "Closed-Form Models for Collaborative Filtering with Side-Information", RecSys 2020): side
  behaviours (``TAGGED`` beside ``LISTENED``) as a second row per user, every entity an item links to
  (genres, KG entities, whatever the relation type) as a pseudo-user, and item text as real-valued rows
  (``EEᵀ``, cosine similarity of the sentence-transformers embeddings);
* the scores are blended with GF-CF's ideal low-pass filter (Shen et al., CIKM 2021) computed on the same
  stacked matrix, which adds the graph's smooth, high-order structure that a linear item–item model lacks.

Every weight (λ, each side channel's weight, the filter's rank and blend) is chosen on a validation carve by
Recall@20 + NDCG@20; the chosen setting is then refit on the pairs it is given. On catalogues of up to
``search_items`` items the selection is bagged: it is run on three carves, each choice is refit and the
refit operators' scores are averaged (bagging, Breiman 1996: one operator, the dense parts summed and the
low-rank parts stacked). Vectors for the vector index are a rank-``dim`` factorisation of the final item–item
operator; RECOMMENDED relationships use the exact scores.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.errors import ConfigError
from graphrec.loaders.types import RecGraph
from graphrec.nn.linear import ease, ease_bytes, ease_inverse, ease_weights, ideal_lowpass, neighbourhood_ease, woodbury
from graphrec.train.base import Fitted, Recommender, Selection
from graphrec.train.matrices import SideInfo, interactions, rows_of, side_info, to_torch
from graphrec.train.metrics import rank_scored
from graphrec.train.sampling import carve_validation

LAMBDA_STEPS = (1.0, 3.0, 10.0, 30.0)
"""λ candidates as multiples of the mean diagonal of the Gram matrix (an item's mean degree)."""
GRAPH_LAMBDA_STEPS = (1.0, 3.0, 5.0, 10.0, 30.0)
"""``graph``'s λ candidates: 5× between 3× and 10× (on ml-100k the choice jumped between the two)."""


def selection_score(m: dict[str, float]) -> float:
    """``graph``'s validation criterion: Recall@20 + NDCG@20.

    The sum of two correlated estimates on the same users is less noisy than either; on ml-100k's folds
    choosing by Recall@20 alone let the carve's noise pick settings that test lower on both metrics.
    """
    return m["recall@20"] + m["ndcg@20"]

SIDE_CHANNELS = ("behaviours", "entities", "text")


def _available_memory() -> int:
    """Bytes the kernel can give this process now without swapping (``MemAvailable``: free memory plus the
    page cache it can drop), else the free pages, else 8 GiB."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8 << 30


@dataclass
class Operator:
    """Item–item scoring operator ``x_u ↦ a·x_u B + b·(x_u L) Rᵀ`` (dense ``B`` or sparse, low-rank part)."""

    b: Tensor                     # [I, I] dense, or sparse COO for the neighbourhood variant
    left: Tensor | None = None    # [I, k]
    right: Tensor | None = None   # [I, k]
    b_scale: float = 1.0
    f_scale: float = 0.0

    def apply(self, x: Tensor) -> Tensor:
        """Scores ``[b, I]`` of the sparse (or dense) input rows ``x``."""
        out = (x @ self.b if not self.b.is_sparse else torch.sparse.mm(self.b.t(), x.to_dense().t()).t())
        out = out * self.b_scale
        if self.left is not None and self.right is not None and self.f_scale:
            out = out + self.f_scale * ((x @ self.left) @ self.right.T)
        return out

    def dense(self) -> Tensor:
        """The operator as one dense ``[I, I]`` matrix (for the vector factorisation)."""
        m = (self.b.to_dense() if self.b.is_sparse else self.b) * self.b_scale
        if self.left is not None and self.right is not None and self.f_scale:
            m.addmm_(self.left, self.right.T, alpha=self.f_scale)    # in place: no further items² temporaries
        return m


class _ItemItem(Recommender):
    """Shared machinery: Gram matrix, λ search, scoring, vectors."""

    dense_selection = True

    def _inputs(self, graph: RecGraph, pairs: Tensor, side: SideInfo | None,
                weights: dict[str, float]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """``(scoring input [U, I], stacked rows [R, I])`` for ``pairs`` and the weighted side channels."""
        x = interactions(pairs, graph.num_users, graph.num_items)
        stack = [x]
        inp = x
        if side is not None and side.behaviours is not None and weights.get("behaviours", 0) > 0:
            stack.append(side.behaviours * weights["behaviours"])
        if side is not None and side.entities is not None and weights.get("entities", 0) > 0:
            stack.append(side.entities * weights["entities"])
        return inp, sp.vstack(stack).tocsr()

    def _gram(self, stacked: sp.csr_matrix, side: SideInfo | None, weights: dict[str, float],
              buffers: int = 3) -> Tensor:
        n = stacked.shape[1]
        need = ease_bytes(n, buffers)
        budget = int(self.cfg.memory_gb * (1 << 30)) if self.cfg.memory_gb else _available_memory() // 2
        if need > budget and not self.cfg.neighbours:
            raise ConfigError(
                f"{self.name}: a dense solve over {n:,} items needs {need / (1 << 30):.1f} GiB, more than the "
                f"{budget / (1 << 30):.1f} GiB bound; use the sparse variant (--neighbours 200) or raise --memory-gb")
        g = torch.from_numpy((stacked.T @ stacked).toarray().astype(np.float32))
        if side is not None and side.text is not None and weights.get("text", 0) > 0:
            e = side.text
            g.addmm_(e, e.T, alpha=weights["text"] ** 2)
        return g

    def _solve(self, g: Tensor, lam: float) -> Tensor:
        if self.cfg.neighbours:
            return neighbourhood_ease(g, lam, self.cfg.neighbours)
        return ease(g.to(self.device), lam).cpu()

    def _metrics(self, op: Operator, inp: sp.csr_matrix, train: Tensor, valid: Tensor) -> dict[str, float]:
        def score(users: Tensor) -> Tensor:
            return op.apply(rows_of(inp, users))
        return rank_scored(score, inp.shape[1], valid, [train], (20, 10), self.cfg.eval_batch_size)

    def _fitted(self, op: Operator, inp: sp.csr_matrix, info: dict[str, Any]) -> Fitted:
        def score(users: Tensor) -> Tensor:
            return op.apply(rows_of(inp, users))
        m = op.dense()
        q = min(self.cfg.dim, m.size(0) - 1)
        state = torch.random.get_rng_state()
        torch.manual_seed(self.cfg.seed)
        try:
            u, s, v = torch.svd_lowrank(m, q=q, niter=4)
        finally:
            torch.random.set_rng_state(state)
        root = s.clamp(min=0).sqrt()
        item_emb = (v * root).contiguous()
        fold = (u * root).contiguous()   # a user's vector is the sum of these rows over the items they have
        user_emb = (to_torch(inp) @ fold).contiguous()
        return Fitted(scorer=score, user_emb=user_emb, item_emb=item_emb, exact=False, item_fold=fold, info=info)

    steps: tuple[float, ...] = LAMBDA_STEPS

    def _lambdas(self, g: Tensor) -> list[float]:
        if self.cfg.lam:
            return [self.cfg.lam]
        base = float(g.diagonal().mean().clamp(min=1.0))
        steps = self.steps if g.size(0) <= self.cfg.search_items else (3.0, 10.0)   # the best multiples on
        # ml-100k, lastfm-2k and the amazon-book λ (250 ≈ 7× its mean degree)
        return [round(base * s, 4) for s in steps]


class EaseRecommender(_ItemItem):
    """EASE on the interaction matrix alone: the strongest simple peer."""

    name = "ease"
    summary = "EASE (Steck 2019): closed-form item–item on the interactions alone; λ chosen on validation"

    def select(self, graph: RecGraph, train: Tensor, valid: Tensor, progress: bool) -> Selection:
        inp, stacked = self._inputs(graph, train, None, {})
        g = self._gram(stacked, None, {})
        search: list[dict[str, float]] = []
        best: tuple[float, float, dict[str, float]] = (-1.0, 0.0, {})
        for lam in self._lambdas(g):
            b = self._solve(g.clone(), lam)
            m = self._metrics(Operator(b), inp, train, valid)
            search.append({"lam": lam, "valid_recall@20": m["recall@20"]})
            if m["recall@20"] > best[0]:
                best = (m["recall@20"], lam, m)
        return Selection(params={"lam": best[1]}, valid=best[2], info={"search": search})

    def refit(self, graph: RecGraph, pairs: Tensor, chosen: Selection, progress: bool) -> Fitted:
        inp, stacked = self._inputs(graph, pairs, None, {})
        g = self._gram(stacked, None, {})
        lam = float(chosen.params.get("lam") or self._lambdas(g)[1])
        b = self._solve(g, lam)
        del g                   # solved in place: one items² buffer less while the operator is factorised
        return self._fitted(Operator(b), inp, {"lam": lam})


FILTER_RANKS = (32, 64, 128)
FILTER_BLENDS = (0.0, 0.2, 0.35, 0.5)
SIDE_WEIGHTS = {"behaviours": (0.5, 1.0, 2.0), "entities": (1.0, 2.0, 4.0), "text": (1.0, 3.0)}
"""Weight candidates per side channel, tried greedily in this order (a channel keeps weight 0 unless one helps)."""
BAG_CARVES = 3
"""Selections ``graph`` averages on catalogues of up to ``search_items`` items (dense solves only): the given
validation pairs and ``BAG_CARVES - 1`` more seeded carves of train ∪ valid, each choice refit and the
scores averaged (bagging over the selection, Breiman 1996)."""
BAG_SEED_STEP = 10_007


class GraphRecommender(_ItemItem):
    """EASE over interactions + side behaviours + entities + text, blended with a low-pass graph filter."""

    name = "graph"
    summary = ("EASE over the whole graph (side behaviours, KG/entities, text as extra rows) blended with "
               "GF-CF's low-pass graph filter; every weight chosen on validation (default)")
    uses_graph = True
    steps = GRAPH_LAMBDA_STEPS

    def _channels(self, side: SideInfo) -> list[str]:
        present = {"behaviours": side.behaviours is not None, "entities": side.entities is not None,
                   "text": side.text is not None}
        return [c for c in SIDE_CHANNELS if c in self.cfg.side and present[c]]

    @staticmethod
    def _scale(op_part: Tensor, sample: Tensor) -> float:
        """Mean row norm of ``sample @ part`` (puts both parts of the blend on one scale)."""
        return float((sample @ op_part).norm(dim=1).mean().clamp(min=1e-12))

    def _operator(self, b: Tensor, left: Tensor | None, right: Tensor | None, blend: float,
                  inp: sp.csr_matrix) -> Operator:
        n_users = inp.shape[0]
        sample = rows_of(inp, torch.arange(0, n_users, max(1, n_users // 512))).to_dense()
        sb = self._scale(b if not b.is_sparse else b.to_dense(), sample)
        if left is None or right is None or blend <= 0:
            return Operator(b, b_scale=1.0 / sb)
        sf = float(((sample @ left) @ right.T).norm(dim=1).mean().clamp(min=1e-12))
        return Operator(b, left, right, b_scale=(1 - blend) / sb, f_scale=blend / sf)

    def _bagged(self, graph: RecGraph) -> int:
        """Selections to average: :data:`BAG_CARVES` on small catalogues, else one (each costs a search, and
        each member a refit on the whole catalogue: a head view counts as the catalogue it was cut from)."""
        small = (graph.head_of or graph.num_items) <= self.cfg.search_items and not self.cfg.neighbours
        return BAG_CARVES if small else 1

    def select(self, graph: RecGraph, train: Tensor, valid: Tensor, progress: bool) -> Selection:
        first = self._select_once(graph, train, valid)
        n = self._bagged(graph)
        if n == 1:
            return first
        # a single 10% carve's noise decides between near-equal settings that test differently; averaging
        # the refits of several carves' choices raised ml-100k's test scores on every fold (BENCHMARKS.md)
        union = torch.cat([train.long().cpu(), valid.long().cpu()], 1)
        share = valid.size(1) / max(1, union.size(1))
        members = [first]
        for j in range(1, n):
            tr, va = carve_validation(union, graph.num_users, share, self.cfg.seed + BAG_SEED_STEP * j)
            members.append(self._select_once(graph, tr, va))
        params = {**first.params, "members": [m.params for m in members]}
        return Selection(params=params, valid=first.valid,
                         info={**first.info, "members_valid": [m.valid for m in members]})

    def _select_once(self, graph: RecGraph, train: Tensor, valid: Tensor) -> Selection:
        side = side_info(graph)
        search: list[dict[str, Any]] = []

        def scored(b: Tensor, inp: sp.csr_matrix, entry: dict[str, Any]) -> dict[str, float]:
            m = self._metrics(self._operator(b, None, None, 0.0, inp), inp, train, valid)
            search.append({**entry, "valid_recall@20": m["recall@20"], "valid_ndcg@20": m["ndcg@20"]})
            return m

        # 1. λ on the interactions alone; 2. each side channel's weight, greedily; 3. the filter's rank and blend
        inp = interactions(train, graph.num_users, graph.num_items)
        g0 = self._gram(inp, None, {}, buffers=4)
        lams = self._lambdas(g0)
        if self.cfg.neighbours:             # sparse variant: every trial is its own (cheap) solve
            del g0
            return self._select_sparse(graph, side, train, valid, lams, scored, search)
        best_p: Tensor | None = None
        best_m: dict[str, float] = {"recall@20": -1.0, "ndcg@20": -1.0}
        lam = lams[0]
        for cand in lams:
            p = ease_inverse(g0.clone().to(self.device), cand)
            m = scored(ease_weights(p.clone()).cpu(), inp, {"lam": cand})
            if selection_score(m) > selection_score(best_m):
                best_m, best_p, lam = m, p, cand
            del p
        del g0
        assert best_p is not None
        weights: dict[str, float] = {}
        large = graph.num_items > self.cfg.search_items
        for ch in self._channels(side):
            cands = SIDE_WEIGHTS[ch]
            low_rank = self._rank(side, ch) <= graph.num_items // 4
            base, before = best_p, weights       # every weight of this channel starts from the same inverse
            if low_rank:
                u = self._factor(side, ch, 1.0).to(self.device)
                pu = base @ u
            for wv in cands if (low_rank or not large) else (cands[len(cands) // 2],):
                w = {**before, ch: wv}
                if low_rank:            # (A + UUᵀ)⁻¹ from A⁻¹: no new cubic solve (Woodbury)
                    p = woodbury(base, u * wv, pu * wv)
                else:
                    _, stacked = self._inputs(graph, train, side, w)
                    p = ease_inverse(self._gram(stacked, side, w, buffers=4).to(self.device), lam)
                m = scored(ease_weights(p.clone()).cpu(), inp, {"lam": lam, **{f"w_{k}": v for k, v in w.items()}})
                if selection_score(m) > selection_score(best_m):
                    best_m, best_p, weights = m, p, w
                del p
            if low_rank:
                del u, pu
            del base
        best_b = ease_weights(best_p).cpu()
        del best_p
        _, best_stacked = self._inputs(graph, train, side, weights)
        rank, blend, best_m = self._select_filter(best_b, best_stacked, inp, train, valid, best_m, search)
        params = {"lam": lam, "weights": weights, "filter_rank": rank, "blend": blend}
        return Selection(params=params, valid=best_m, info={"search": search, "side": side.describe()})

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

    def _select_sparse(self, graph: RecGraph, side: SideInfo, train: Tensor, valid: Tensor, lams: list[float],
                       scored: Any, search: list[dict[str, Any]]) -> Selection:
        """The same greedy search with the neighbourhood solver (each trial solves afresh)."""
        def trial(w: dict[str, float], lam: float) -> tuple[dict[str, float], Tensor, sp.csr_matrix]:
            inp, stacked = self._inputs(graph, train, side, w)
            b = self._solve(self._gram(stacked, side, w), lam)
            return scored(b, inp, {"lam": lam, **{f"w_{k}": v for k, v in w.items()}}), b, inp

        best_m, best_b, inp = trial({}, lams[0])
        lam = lams[0]
        for cand in lams[1:]:
            m, b, _ = trial({}, cand)
            if selection_score(m) > selection_score(best_m):
                best_m, best_b, lam = m, b, cand
        weights: dict[str, float] = {}
        for ch in self._channels(side):
            for wv in SIDE_WEIGHTS[ch]:
                w = {**weights, ch: wv}
                m, b, _ = trial(w, lam)
                if selection_score(m) > selection_score(best_m):
                    best_m, best_b, weights = m, b, w
        _, stacked = self._inputs(graph, train, side, weights)
        rank, blend, best_m = self._select_filter(best_b, stacked, inp, train, valid, best_m, search)
        params = {"lam": lam, "weights": weights, "filter_rank": rank, "blend": blend}
        return Selection(params=params, valid=best_m, info={"search": search, "side": side.describe()})

    def _select_filter(self, b: Tensor, stacked: sp.csr_matrix, inp: sp.csr_matrix, train: Tensor, valid: Tensor,
                       best: dict[str, float], search: list[dict[str, Any]]) -> tuple[int, float, dict[str, float]]:
        """The low-pass filter's rank and blend (``(0, 0.0)``: no filter) and the best validation metrics."""
        rank, blend = 0, 0.0
        if not self.cfg.filter:
            return rank, blend, best
        for k in FILTER_RANKS:
            left, right = self._lowrank_for(stacked, k)
            for bl in FILTER_BLENDS[1:]:
                m = self._metrics(self._operator(b, left, right, bl, inp), inp, train, valid)
                search.append({"filter_rank": k, "blend": bl, "valid_recall@20": m["recall@20"],
                               "valid_ndcg@20": m["ndcg@20"]})
                if selection_score(m) > selection_score(best):
                    best, rank, blend = m, k, bl
        return rank, blend, best

    def _lowrank_for(self, stacked: sp.csr_matrix, k: int) -> tuple[Tensor, Tensor]:
        du = np.asarray(stacked.sum(1)).ravel()
        di = np.asarray(stacked.sum(0)).ravel().clip(min=1.0)
        ru = 1.0 / np.sqrt(np.where(du > 0, du, 1.0))
        norm = (sp.diags(ru) @ stacked @ sp.diags(1.0 / np.sqrt(di))).tocsr()
        coo = to_torch(norm).to_sparse_coo()  # type: ignore[no-untyped-call]
        return ideal_lowpass(coo, torch.from_numpy(di.astype(np.float32)), k, self.cfg.seed)


    def refit(self, graph: RecGraph, pairs: Tensor, chosen: Selection, progress: bool) -> Fitted:
        side = side_info(graph)
        members: list[dict[str, Any]] = list(chosen.params.get("members") or [chosen.params])
        inp = interactions(pairs, graph.num_users, graph.num_items)
        infos: list[dict[str, Any]] = []

        def refits() -> Iterator[Operator]:     # one member's dense B at a time beside the running mean
            for p in members:
                op, info = self._refit_one(graph, pairs, side, p, inp)
                infos.append(info)
                yield op
                del op          # before the next member's solve

        if len(members) == 1:
            op = next(refits())
            return self._fitted(op, inp, {**infos[0], "side": side.describe()})
        op = mean_operator(refits(), len(members))
        return self._fitted(op, inp, {**infos[0], "members": infos, "side": side.describe()})

    def _refit_one(self, graph: RecGraph, pairs: Tensor, side: SideInfo, p: dict[str, Any],
                   inp: sp.csr_matrix) -> tuple[Operator, dict[str, Any]]:
        weights = {k: float(v) for k, v in (p.get("weights") or {}).items()}
        _, stacked = self._inputs(graph, pairs, side, weights)
        g = self._gram(stacked, side, weights)
        lam = float(p.get("lam") or self._lambdas(g)[1])
        b = self._solve(g, lam)
        del g                   # solved in place: one items² buffer less while the operator is factorised
        rank, blend = int(p.get("filter_rank") or 0), float(p.get("blend") or 0.0)
        left, right = self._lowrank_for(stacked, rank) if rank and blend else (None, None)
        op = self._operator(b, left, right, blend, inp)
        return op, {"lam": lam, "weights": weights, "filter_rank": rank, "blend": blend}


def mean_operator(ops: Iterable[Operator], n: int) -> Operator:
    """One operator scoring the mean of the ``n`` operators ``ops`` (dense ``B`` parts summed into the first's
    storage, in place; low-rank factors stacked)."""
    b: Tensor | None = None
    lefts, rights = [], []
    for op in ops:
        part = op.b.mul_(op.b_scale / n)
        b = part if b is None else b.add_(part)
        if op.left is not None and op.right is not None and op.f_scale:
            lefts.append(op.left * (op.f_scale / n))
            rights.append(op.right)
        del op, part
    if b is None:
        raise ValueError("mean_operator: no operators")
    if not lefts:
        return Operator(b)
    return Operator(b, torch.cat(lefts, 1), torch.cat(rights, 1), b_scale=1.0, f_scale=1.0)
