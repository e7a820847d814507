"""One contract over every registered model: what a model class declares (docs/DESIGN.md §5) is true of it."""

from __future__ import annotations

from dataclasses import fields, replace

import click
import pytest
import torch

from graphrec.cli.train import train_options
from graphrec.loaders.types import RecGraph
from graphrec.train import REGISTRY, Selection, TrainConfig, fit
from graphrec.train.base import COMMON_PARAMS, Recommender
from graphrec.train.models import BoundModel, bind
from graphrec.writeback.runs import FOLD_KINDS

from .conftest import tiny_graph

torch.set_num_threads(1)

FIELDS = {f.name for f in fields(TrainConfig)}
TINY = TrainConfig(epochs=2, dim=8, layers=1, batch_size=128, eval_every=1, patience=1, out_dir=None, lam=10.0,
                   als_factors=8, als_iterations=2, filter=False, top_k=5)
"""Settings that make every model's fit on the tiny graph take a moment (one λ, two epochs, a few ALS sweeps)."""
MODELS = list(REGISTRY.items())
IDS = list(REGISTRY)


@pytest.fixture(scope="module")
def tiny() -> RecGraph:
    return tiny_graph(valid=True)


def test_declarations_are_shared_where_two_layers_read_them() -> None:
    assert set(COMMON_PARAMS) <= FIELDS
    assert len({cls for cls in REGISTRY.values()}) == len(REGISTRY)


@pytest.mark.parametrize(("name", "cls"), MODELS, ids=IDS)
def test_a_model_declares_what_the_rest_reads(name: str, cls: type[Recommender], tiny: RecGraph) -> None:
    assert cls.name == name and cls.summary.strip()
    assert set(cls.params) <= FIELDS - set(COMMON_PARAMS), "params: TrainConfig fields beyond the common ones"
    assert len(set(cls.params)) == len(cls.params)
    assert cls.irrelevant(["seed", *cls.params, "als_factors", "side_init"]) == \
        [f for f in ("als_factors", "side_init") if f not in cls.params]
    for label, over in cls.ablations.items():
        assert label.startswith(f"{name} -") and over
        assert set(over) <= set(cls.params), f"{label}: an ablation changes the model's own settings"
        assert TrainConfig(model=name, **over) != TrainConfig(model=name)
    assert cls.fold in FOLD_KINDS   # train and writeback never import each other: a kind a run may record
    model = cls(replace(TINY, model=name), torch.device("cpu"))
    assert model.estimate(tiny).strip()


@pytest.mark.parametrize(("name", "cls"), MODELS, ids=IDS)
def test_a_model_refits_and_scores_as_declared(name: str, cls: type[Recommender], tiny: RecGraph) -> None:
    cfg = replace(TINY, model=name)
    model = cls(cfg, torch.device("cpu"))
    chosen = model.select(tiny, tiny.train, tiny.valid, progress=False)
    assert isinstance(chosen, Selection)
    fitted = model.refit(tiny, tiny.train, chosen, progress=False)
    users = torch.arange(5)
    assert fitted.scorer(users).shape == (5, tiny.num_items)
    assert fitted.user_emb.shape[0] == tiny.num_users and fitted.item_emb.shape[0] == tiny.num_items
    # a model that folds users in by summing item query factors publishes them, and only such a model
    assert (fitted.item_fold is not None) == (cls.fold == "sum")
    if cls.bound is not None:
        bound = bind(tiny, tiny.train, cfg, torch.device("cpu"))
        assert isinstance(bound, cls.bound) and isinstance(bound, BoundModel)
        u, i = bound.embed()
        assert u.shape[0] == tiny.num_users and i.shape[0] == tiny.num_items
    else:
        with pytest.raises(ValueError, match="not trained by the BPR loop"):
            bind(tiny, tiny.train, cfg, torch.device("cpu"))
    if cls.deterministic:   # evaluate --repeats runs it once: another seed must not change it
        again = cls(replace(cfg, seed=7), torch.device("cpu")).refit(tiny, tiny.train, chosen, False)
        assert torch.equal(again.scorer(users), fitted.scorer(users))


@pytest.mark.parametrize(("name", "cls"), MODELS, ids=IDS)
def test_fit_records_how_the_model_folds_in(name: str, cls: type[Recommender], tiny: RecGraph) -> None:
    art = fit(tiny, replace(TINY, model=name), progress=False, holdout=True)
    assert art.model == name and art.info["fold"] == cls.fold
    assert art.user_emb.shape == (tiny.num_users, art.item_emb.size(1))
    assert art.metrics["test"] and (art.item_fold is not None) == (cls.fold == "sum")


def test_option_help_names_the_models_that_read_the_setting() -> None:
    """``--lam``'s "ease/graph: …" and the like: the models named are the ones declaring the setting."""
    cmd = train_options(click.Command("x"))
    checked = 0
    for opt in cmd.params:
        head = (opt.help or "").split(":", 1)[0] if isinstance(opt, click.Option) else ""
        names = head.split("/")
        field = "batch_size" if opt.name == "train_batch" else str(opt.name)
        if field in COMMON_PARAMS or not names or not set(names) <= set(REGISTRY):
            continue
        assert set(names) == {n for n, c in REGISTRY.items() if field in c.params}, opt.name
        checked += 1
    assert checked >= 5
