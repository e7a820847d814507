"""``content``: the user's history in the items' text and entity space — what sentence-transformers alone gives.

An item's vector is the concatenation of its L2-normalised text embedding (the graph's item ``x``, as ``graph``
reads it: :func:`graphrec.train.matrices.side_info`) and its entity set (every node it links to, IDF-weighted and
L2-normalised, times an entity weight), normalised again: the dot product of two items is the cosine similarity of
their text mixed with that of their entities. A user is scored one of two ways, chosen on validation together with
the entity weight:

* ``mean``: the sum of their items' vectors (their mean up to a per-user scale, which changes no ranking) dotted
  with every item's — the Rocchio-style profile of content-based filtering (Pazzani & Billsus, "Content-Based
  Recommendation Systems", The Adaptive Web, 2007);
* ``knn``: each item of theirs votes for its ``k`` most similar items with the similarity (item-based top-N
  with a neighbourhood of ``k``, Deshpande & Karypis, "Item-Based Top-N Recommendation Algorithms", TOIS 2004).

Neither reads another user's interactions, so an item nobody has interacted with is scored like any other: the
cold-start baseline of ``graphrec evaluate --protocol cold-items``. A graph whose items have neither text nor
entities gives it nothing to score by: the model refuses it in one line (``evaluate`` skips its row).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.errors import CapacityError
from graphrec.loaders.types import RecGraph
from graphrec.nn.scalable import products, randomized_svd
from graphrec.train.base import Fitted, Recommender, Selection, dot_scorer
from graphrec.train.matrices import SideInfo, interactions, side_info, to_torch
from graphrec.train.metrics import rank_scored
from graphrec.train.search import Best, search

ENTITY_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
"""Entity weights tried beside the text (``0``: text alone); without text the entities alone (weight 1)."""
KNN_SIZES = (10, 50, 200)
"""Neighbourhood sizes of the ``knn`` mode tried after ``mean``."""
KNN_ITEMS = 50_000
"""Catalogues above this many items try ``mean`` only (``knn``'s neighbour search costs ``items² · width``)."""
ENTITY_DIM = 256
"""Entity columns kept exactly up to this many; more are reduced to their top singular directions (LSA)."""
NO_CONTENT = ("content: the items have no text embedding and no entity to score by "
              "(run `graphrec embed-text --label Item`, or load a graph with item entities)")


def _criterion(m: dict[str, float]) -> float:
    """Recall@20 + NDCG@20 (``graph``'s validation criterion: the sum is less noisy than either)."""
    return m["recall@20"] + m["ndcg@20"]


def entity_vectors(entities: sp.csr_matrix | None, num_items: int) -> Tensor | None:
    """``[I, e]`` L2-normalised, IDF-weighted entity rows of the items (``None`` without an entity shared by two).

    An entity of one item says nothing about similarity and is dropped. More than :data:`ENTITY_DIM` entities are
    reduced to the top singular directions of the weighted incidence (seeded with 0: the model stays deterministic
    given its choice), which keeps the cosine similarities' largest part.
    """
    if entities is None:
        return None
    degree = np.asarray(entities.getnnz(axis=1)).ravel()
    keep = np.nonzero(degree >= 2)[0]
    if keep.size == 0:
        return None
    idf = np.log(num_items / degree[keep]).astype(np.float32)
    inc = (sp.diags(idf) @ entities[keep]).T.tocsr().astype(np.float32)   # [I, e]
    if keep.size <= ENTITY_DIM:
        dense = torch.from_numpy(np.asarray(inc.toarray(), dtype=np.float32))
    else:
        u, s, _ = randomized_svd(*products(inc), int(inc.shape[1]), ENTITY_DIM, niter=4, rows=int(inc.shape[0]))
        dense = (u * s).float()
    return torch.nn.functional.normalize(dense, dim=1)


def item_vectors(text: Tensor | None, ents: Tensor | None, weights: dict[str, float]) -> Tensor:
    """``[I, d]`` unit item vectors: ``[text · w_text, entities · w_entities]`` normalised (zero rows stay zero)."""
    parts = [p * weights.get(name, 0.0) for name, p in (("text", text), ("entities", ents)) if p is not None]
    return torch.nn.functional.normalize(torch.cat(parts, 1), dim=1)


def knn_matrix(vectors: Tensor, k: int, chunk: int = 2048) -> sp.csr_matrix:
    """``[I, I]`` sparse matrix of each item's ``k`` most similar other items (positive similarities only)."""
    n = int(vectors.size(0))
    k = max(1, min(k, n - 1))
    rows, cols, vals = [], [], []
    for a in range(0, n, chunk):
        e = min(n, a + chunk)
        sim = vectors[a:e] @ vectors.T
        sim[torch.arange(e - a), torch.arange(a, e)] = float("-inf")     # not its own neighbour
        best, at = torch.topk(sim, k, dim=1)
        ok = best > 0
        rows.append(torch.arange(a, e).unsqueeze(1).expand_as(at)[ok].numpy())
        cols.append(at[ok].numpy())
        vals.append(best[ok].numpy())
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))


class ContentRecommender(Recommender):
    """The items' text and entities against the user's history: no collaborative signal at all."""

    name = "content"
    summary = ("content-based: item text embeddings and entities vs the user's history (profile mean or item "
               "kNN vote, entity weight chosen on validation); scores items nobody has interacted with")
    uses_graph = True
    params = ("side",)
    ablations: ClassVar[dict[str, dict[str, Any]]] = {
        "content -text": {"side": ("behaviours", "entities")},
        "content -entities": {"side": ("behaviours", "text")},
    }
    fold = "sum"   # a user's vector is the sum of their items' vectors

    def _content(self, graph: RecGraph) -> tuple[Tensor | None, Tensor | None]:
        """``(text, entity vectors)`` the settings allow (``None`` where absent or left out).

        Raises:
            CapacityError: neither is there (:data:`NO_CONTENT`).
        """
        side: SideInfo = side_info(graph)
        text = side.text if "text" in self.cfg.side else None
        ents = entity_vectors(side.entities, graph.num_items) if "entities" in self.cfg.side else None
        if text is None and ents is None:
            raise CapacityError(NO_CONTENT)
        return text, ents

    def estimate(self, graph: RecGraph) -> str:
        try:
            text, ents = self._content(graph)
        except CapacityError as e:
            return f"cannot fit ({e}): it will be skipped"
        weights = len(ENTITY_WEIGHTS) if text is not None and ents is not None else 1
        modes = 1 + (len(KNN_SIZES) if graph.num_items <= KNN_ITEMS else 0)
        what = " + ".join(f"{n} ({int(v.size(1))}-d)" for n, v in (("text", text), ("entities", ents))
                          if v is not None)
        return f"{what}; up to {weights + modes - 1} selection trials (entity weight, then mean or kNN)"

    def _weights(self, text: Tensor | None, ents: Tensor | None) -> list[dict[str, float]]:
        if text is None:
            return [{"entities": 1.0}]
        if ents is None:
            return [{"text": 1.0}]
        return [{"text": 1.0, "entities": w} for w in ENTITY_WEIGHTS]

    def select(self, graph: RecGraph, train: Tensor, valid: Tensor, progress: bool) -> Selection:
        text, ents = self._content(graph)
        inp = interactions(train, graph.num_users, graph.num_items)
        rows: list[dict[str, Any]] = []

        def trial(p: dict[str, Any]) -> dict[str, float]:
            scorer = self._scorer(inp, item_vectors(text, ents, p["weights"]), p["mode"], p["k"])
            m = rank_scored(scorer, graph.num_items, valid, [train], (20, 10), self.score_batch(graph.num_items))
            rows.append({**p, "valid_recall@20": m["recall@20"], "valid_ndcg@20": m["ndcg@20"]})
            return m

        first = [{"weights": w, "mode": "mean", "k": 0} for w in self._weights(text, ents)]
        best: Best[dict[str, Any], dict[str, float]] = search(first, trial, _criterion, label="content weights",
                                                              progress=progress)
        assert best.candidate is not None
        if graph.num_items <= KNN_ITEMS:
            knn = [{**best.candidate, "mode": "knn", "k": k} for k in KNN_SIZES]
            best = search(knn, trial, _criterion, best=best, label="content kNN", progress=progress)
        assert best.candidate is not None and best.result is not None
        return Selection(params=dict(best.candidate), valid=best.result, info={"search": rows})

    @staticmethod
    def _scorer(inp: sp.csr_matrix, vectors: Tensor, mode: str, k: int) -> Any:
        """Scores of users from their rows of ``inp``: the profile's dot products, or the neighbours' votes."""
        if mode == "knn":
            s = knn_matrix(vectors, k)

            def vote(users: Tensor) -> Tensor:
                rows = inp[users.long().cpu().numpy()]
                return torch.from_numpy(np.asarray((rows @ s).toarray(), dtype=np.float32))
            return vote
        return dot_scorer(to_torch(inp) @ vectors, vectors)

    def refit(self, graph: RecGraph, pairs: Tensor, chosen: Selection, progress: bool) -> Fitted:
        text, ents = self._content(graph)
        p = chosen.params
        weights = {str(k): float(v) for k, v in (p.get("weights") or {"text": 1.0, "entities": 1.0}).items()}
        mode, k = str(p.get("mode") or "mean"), int(p.get("k") or 0)
        inp = interactions(pairs, graph.num_users, graph.num_items)
        vectors = item_vectors(text, ents, weights).contiguous()
        user_emb = (to_torch(inp) @ vectors).contiguous()
        info = {"weights": weights, "mode": mode, "k": k, "width": int(vectors.size(1))}
        return Fitted(scorer=self._scorer(inp, vectors, mode, k), user_emb=user_emb, item_emb=vectors,
                      exact=mode == "mean", item_fold=vectors, info=info)
