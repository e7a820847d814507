"""The BPR-trained models (``lightgcn``, ``hetero``) and ``popularity`` as registry models.

Selection trains with early stopping on the validation pairs; the refit trains a fresh model for the
epoch count that peaked, on every pair it is given, without looking at validation again.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import Tensor

from graphrec.loaders.types import RecGraph
from graphrec.nn import Popularity
from graphrec.train.base import Fitted, Recommender, Selection, dot_scorer
from graphrec.train.loop import TrainResult, train_bpr
from graphrec.train.minibatch import use_minibatch
from graphrec.train.models import HeteroModel, LightGCNModel, PopularityModel


def _selection(res: TrainResult) -> Selection:
    return Selection(params={"epochs": res.best_epoch}, valid=res.metrics.get("valid", {}),
                     info={"epochs_run": res.epochs, "best_epoch": res.best_epoch,
                           "seconds_per_epoch": round(res.seconds_per_epoch, 4)})


BPR_PARAMS: tuple[str, ...] = ("epochs", "dim", "layers", "lr", "weight_decay", "batch_size", "negatives", "patience",
                               "eval_every", "minibatch", "fanout")
"""The settings of the BPR loop (:func:`graphrec.train.loop.train_bpr`)."""


class BprRecommender(Recommender):
    """A GNN trained with BPR (:func:`graphrec.train.loop.train_bpr`)."""

    params = BPR_PARAMS

    def estimate(self, graph: RecGraph) -> str:
        cfg = self.cfg
        pairs = int(graph.train.size(1))
        steps = -(-pairs // max(1, cfg.batch_size))
        how = (f"mini-batch steps (subgraphs of {cfg.layers} hops, {cfg.fanout} neighbours)"
               if use_minibatch(cfg, pairs) else "full-graph steps")
        return (f"BPR: up to {cfg.epochs} epochs of {steps:,} {how} (validation every {cfg.eval_every}, stopping "
                f"after {cfg.patience} without improvement), then the chosen epochs again on train + valid")

    def select(self, graph: RecGraph, train: Tensor, valid: Tensor, progress: bool) -> Selection:
        cfg = replace(self.cfg, model=self.name)
        return _selection(train_bpr(graph, cfg, progress, train=train, valid=valid))

    def refit(self, graph: RecGraph, pairs: Tensor, chosen: Selection, progress: bool) -> Fitted:
        cfg = replace(self.cfg, model=self.name, out_dir=None)
        epochs = int(chosen.params.get("epochs") or cfg.epochs)
        res = train_bpr(graph, cfg, progress, train=pairs, valid=torch.empty(2, 0, dtype=torch.long),
                        epochs=epochs)
        return Fitted(scorer=dot_scorer(res.user_emb, res.item_emb), user_emb=res.user_emb, item_emb=res.item_emb,
                      exact=True, entity_emb=res.entity_emb,
                      info={"epochs": res.epochs, "seconds_per_epoch": round(res.seconds_per_epoch, 4)})


class LightGCNRecommender(BprRecommender):
    name = "lightgcn"
    summary = "LightGCN (He et al. 2020) on the interactions, BPR, early-stopped on validation"
    bound = LightGCNModel


class HeteroRecommender(BprRecommender):
    name = "hetero"
    summary = "LightGCN plus one sampled hop of relation-scaled KG/social/side-behaviour neighbours and text, BPR"
    uses_graph = True
    params = (*BPR_PARAMS, "text", "side_init", "dropout", "side_sample")
    bound = HeteroModel


class PopularityRecommender(Recommender):
    name = "popularity"
    summary = "most-interacted items first (the floor every model must clear)"
    deterministic = True
    bound = PopularityModel

    def estimate(self, graph: RecGraph) -> str:
        return "item counts, no selection"

    def refit(self, graph: RecGraph, pairs: Tensor, chosen: Selection, progress: bool) -> Fitted:
        u, i = Popularity(graph.num_users, graph.num_items).fit(pairs[1])()
        return Fitted(scorer=dot_scorer(u, i), user_emb=u, item_emb=i, exact=True)
