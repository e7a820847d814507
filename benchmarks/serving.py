"""The graphs and vectors the serving benchmarks share (``serve_bench``, ``hnsw_bench``, ``publish_bench``,
``http_bench``, ``refresh_bench``).

Graphs: ``lastfm-2k`` is the real HetRec dataset loaded with ``graphrec.ingest`` and streamed back
with ``graphrec.loaders`` (1892 users, 17632 artists, ~93k LISTENED); ``amazon-book-size`` is synthetic with
the shape of KGAT's amazon-book (70k users, 25k items, ~850k interactions, power-law item popularity
and user activity, 2 genre entities per item). Vectors: a rank-64 SVD of the interactions (:func:`embeddings`),
or a graphrec model fitted on the graph (:func:`trained_embeddings`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from neo4j import Driver
from torch import Tensor

from graphrec.loaders.types import RecGraph
from graphrec.writeback import PublishResult, RunSpec, publish

DIM = 64
K = 20


@dataclass
class Graph:
    """A loaded graph: ids per label and every interaction as (user, item) index pairs."""

    name: str
    ids: dict[str, list[str]]
    exclude: Tensor
    source: str
    interactions: list[str]
    load_seconds: float = 0.0
    rec: RecGraph | None = None   # the streamed graph (lastfm-2k), for --vectors <model>


@dataclass
class Latency:
    query: str
    clients: int
    requests: int
    seconds: float
    samples: list[float] = field(default_factory=list)
    db_hits: tuple[float, int] | None = None   # PROFILE: mean, max over sampled parameters

    def pct(self, p: float) -> float:
        s = sorted(self.samples)
        return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000

    @property
    def qps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load_lastfm(driver: Driver, data_dir: Path, home: Path) -> Graph:
    """The real lastfm-2k through ingest (write) and graphrec.loaders (stream back to tensors)."""
    from graphrec.ingest.datasets import LoadOptions, load_dataset
    from graphrec.loaders.build import load_graph
    from graphrec.loaders.spec import discover_spec

    t = time.perf_counter()
    load_dataset(driver, "lastfm-2k", LoadOptions(), data_dir, home, progress=False)
    g = load_graph(driver, discover_spec(driver, interactions=["LISTENED"]))  # as the models are evaluated
    exclude = torch.cat([g.train, g.valid, g.test], dim=1)
    return Graph("lastfm-2k", {"User": g.ids[g.user_type], "Item": g.ids[g.item_type]}, exclude,
                 "real HetRec lastfm-2k (graphrec.ingest + graphrec.loaders)", list(g.behaviours),
                 time.perf_counter() - t, g)


def synthetic_amazon(driver: Driver, users: int = 70_000, items: int = 25_000, interactions: int = 850_000,
                     seed: int = 0) -> Graph:
    """An amazon-book-sized graph with power-law popularity, written by the ingest writer."""
    from graphrec.ingest.records import GraphRecords
    from graphrec.ingest.writer import write_records

    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    item_p = 1.0 / np.arange(1, items + 1) ** 0.8
    item_p /= item_p.sum()
    activity = rng.lognormal(0.0, 1.0, users)
    user_p = activity / activity.sum()
    pairs = np.empty(0, dtype=np.int64)
    while pairs.size < interactions:
        n = int((interactions - pairs.size) * 1.2) + 1000
        new = rng.choice(users, n, p=user_p).astype(np.int64) * items + rng.choice(items, n, p=item_p)
        pairs = np.unique(np.concatenate([pairs, new]))
    pairs = rng.permutation(pairs)[:interactions]
    u, i = pairs // items, pairs % items
    rec = GraphRecords(name="synthetic:amazon-book-size")
    user_ids = [str(x) for x in range(users)]
    item_ids = [str(x) for x in range(items)]
    un = rec.node_set("User", "synthetic users")
    for uid in user_ids:
        un.add(uid)
    it = rec.node_set("Item", "synthetic items")
    for iid in item_ids:
        it.add(iid, title=f"Book {iid}")
    genres = rec.node_set("Entity", "synthetic genres", kind_label="Genre")
    for gnum in range(100):
        genres.add(f"genre:g{gnum}", name=f"g{gnum}", kind="genre")
    hg = rec.rel_set("HAS_GENRE", "Item", "Entity", "synthetic genres")
    for inum in range(items):
        for gpick in rng.choice(100, 2, replace=False):
            hg.add(str(inum), f"genre:g{gpick}")
    rated = rec.rel_set("RATED", "User", "Item", "synthetic ratings")
    for a, b in zip(u.tolist(), i.tolist(), strict=True):
        rated.add(user_ids[a], item_ids[b], rating=1.0, ts=0, split="train")
    write_records(driver, rec, batch_size=20_000, progress=False)
    exclude = torch.stack([torch.from_numpy(u), torch.from_numpy(i)])
    return Graph("amazon-book-size", {"User": user_ids, "Item": item_ids}, exclude,
                 f"synthetic, power-law ({users} users, {items} items, {interactions} interactions)", ["RATED"],
                 time.perf_counter() - t)


def publish_graph(driver: Driver, graph: Graph, user_emb: Tensor, item_emb: Tensor, name: str = "bench",
                  activate_run: bool = True) -> PublishResult:
    """Publish ``graph``'s embeddings as run ``name``, recording the graph's interaction types as a trained
    run does (``recommend_realtime``'s seen filter reads those)."""
    return publish(driver, RunSpec(name, {"dim": DIM}), graph.ids, user_emb, item_emb, graph.exclude, k=K,
                   activate_run=activate_run, interactions=graph.interactions)


def trained_embeddings(graph: Graph, model: str) -> tuple[Tensor, Tensor]:
    """The user and item vectors of graphrec's ``model`` fitted on ``graph`` (every interaction, no hold-out):
    trained vectors, whose heavy-tailed norms make the MIPS index harder to search than SVD's."""
    from graphrec.train import TrainConfig, fit

    if graph.rec is None:
        raise SystemExit(f"--vectors {model}: only a graph streamed from Neo4j (lastfm-2k) can be trained on")
    fitted = fit(graph.rec, TrainConfig(model=model), progress=False, holdout=False)
    return fitted.user_emb.float().contiguous(), fitted.item_emb.float().contiguous()


def embeddings(graph: Graph) -> tuple[Tensor, Tensor]:
    """64-d embeddings with the structure of trained ones: a rank-64 factorisation (randomised SVD) of
    the graph's user-item interaction matrix, ``U·√S`` and ``V·√S`` (score = dot product). Random
    vectors would be the worst case for the HNSW index (no low-dimensional structure) and unlike any
    model's output."""
    users, items = len(graph.ids["User"]), len(graph.ids["Item"])
    a = torch.sparse_coo_tensor(graph.exclude, torch.ones(graph.exclude.size(1)), (users, items)).coalesce()
    torch.manual_seed(0)
    u, s, v = torch.svd_lowrank(a, q=DIM, niter=4)
    root = s.clamp(min=0).sqrt()
    return (u * root).contiguous(), (v * root).contiguous()


def load_named(driver: Driver, name: str, data_dir: Path, home: Path) -> Graph:
    """Load the graph ``name`` (``lastfm-2k`` from ``data_dir``, else the synthetic amazon-book-sized one)."""
    graph = load_lastfm(driver, data_dir, home) if name == "lastfm-2k" else synthetic_amazon(driver)
    print(f"{graph.name}: loaded in {graph.load_seconds:.0f} s", flush=True)
    return graph
