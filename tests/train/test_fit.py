"""The BPR training loop end to end on a tiny graph: every BPR model, determinism, checkpoints, early stopping."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from graphrec.loaders.types import RecGraph
from graphrec.train import TrainConfig, TrainResult
from graphrec.train import train_bpr as fit

from .conftest import tiny_graph

FAST = TrainConfig(epochs=12, dim=16, layers=2, lr=0.02, batch_size=128, eval_every=3, patience=10, out_dir=None)


@pytest.mark.parametrize("model", ["lightgcn", "hetero"])
def test_models_train_and_beat_chance(model: str, graph: RecGraph) -> None:
    res = fit(graph, replace(FAST, model=model), progress=False)
    assert res.user_emb.shape == (graph.num_users, 16) and res.item_emb.shape == (graph.num_items, 16)
    assert res.user_emb.dtype == torch.float32 and res.user_emb.device.type == "cpu"
    losses = [r["loss"] for r in res.history]
    assert losses[-1] < 0.8 * losses[0]
    assert res.epochs == 12 and res.best_epoch in (3, 6, 9, 12)
    assert res.carved_valid  # tiny_graph() has no validation split
    # two communities: a trained model ranks the user's own half first, chance recall@10 is ~1/3
    assert res.metrics["test"]["recall@10"] > 0.5
    assert set(res.metrics["valid"]) >= {"recall@20", "ndcg@20", "precision@10", "hit@10"}
    if model == "hetero":
        assert res.entity_emb["Entity"].shape == (6, 16)


def test_popularity_needs_no_training(graph_with_valid: RecGraph) -> None:
    graph = graph_with_valid
    res = fit(graph, replace(FAST, model="popularity"), progress=False)
    assert res.user_emb.shape == (graph.num_users, 1) and res.epochs == 0 and res.checkpoint is None
    counts = torch.bincount(graph.train[1], minlength=graph.num_items).float()
    assert torch.allclose(res.item_emb.squeeze(1), counts / counts.max())
    assert 0 <= res.metrics["test"]["recall@20"] <= 1


@pytest.mark.parametrize("model", ["lightgcn", "hetero"])
def test_cpu_training_is_deterministic(model: str, graph: RecGraph) -> None:
    cfg = replace(FAST, model=model, epochs=4, eval_every=2)
    a, b = fit(graph, cfg, progress=False), fit(graph, cfg, progress=False)
    assert torch.equal(a.user_emb, b.user_emb) and torch.equal(a.item_emb, b.item_emb)
    assert a.metrics == b.metrics
    c = fit(graph, replace(cfg, seed=cfg.seed + 1), progress=False)
    assert not torch.equal(a.user_emb, c.user_emb)


def test_checkpoint_and_curves_are_written(graph_with_valid: RecGraph, tmp_path: Path) -> None:
    cfg = replace(FAST, model="hetero", epochs=6, eval_every=2, out_dir=tmp_path)
    res: TrainResult = fit(graph_with_valid, cfg, progress=False)
    assert not res.carved_valid
    assert res.checkpoint is not None and res.checkpoint.exists()
    assert res.curve_png is not None and res.curve_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res.curve_csv is not None
    lines = res.curve_csv.read_text().splitlines()
    assert lines[0].startswith("epoch,loss,seconds") and "valid_recall@20" in lines[0] and len(lines) == 7
    ckpt = torch.load(res.checkpoint, weights_only=False)
    assert ckpt["model"] == "hetero" and ckpt["epoch"] == res.best_epoch
    assert ckpt["valid"]["recall@20"] == pytest.approx(max(r.get("valid_recall@20", 0) for r in res.history))


def test_early_stopping_restores_the_best_epoch(graph_with_valid: RecGraph) -> None:
    # lr 0 never improves after the first evaluation: stop after `patience` more evaluations
    cfg = replace(FAST, model="lightgcn", epochs=50, lr=0.0, eval_every=1, patience=2)
    res = fit(graph_with_valid, cfg, progress=False)
    assert res.epochs == 3 and res.best_epoch == 1


def test_bad_settings_and_graphs_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        TrainConfig(model="svd")
    with pytest.raises(ValueError, match="device"):
        TrainConfig(device="tpu")
    with pytest.raises(ValueError, match="dropout"):
        TrainConfig(dropout=1.0)
    with pytest.raises(ValueError, match="ks"):
        TrainConfig(ks=(0,))
    g = tiny_graph()
    g.test = torch.tensor([[0], [999]])
    with pytest.raises(ValueError, match="outside"):
        fit(g, FAST, progress=False)
