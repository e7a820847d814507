"""Training-speed benchmark on a synthetic graph the shape of KGAT's amazon-book.

Run as ``python -m benchmarks.train_bench``. Builds a seeded synthetic graph with amazon-book's
sizes (KGAT, Wang et al. KDD 2019: 70,679 users, 24,915 items, 847,733 interactions; 88,572 KG
entities incl. items, 39 relations, 2,557,746 triples), with power-law user and item degrees and
384-d item text features, then times a fixed number of training steps of ``lightgcn`` and
``hetero`` on the CPU (and the GPU when one is present) and extrapolates seconds per epoch. Peak
RSS is the process's ``ru_maxrss``. The section ``train`` of BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from dataclasses import dataclass, replace

import torch
from torch_geometric.data import HeteroData

from benchmarks.report import write_section
from graphrec.loaders.types import RecGraph
from graphrec.nn import bpr_loss, l2_penalty
from graphrec.train import TrainConfig
from graphrec.train.models import bind
from graphrec.train.sampling import NegativeSampler


@dataclass
class Shape:
    users: int = 70_679
    items: int = 24_915
    interactions: int = 847_733
    entities: int = 88_572 - 24_915  # KGAT counts items among its entities
    relations: int = 39
    triples: int = 2_557_746
    text_dim: int = 384

    def scaled(self, factor: float) -> Shape:
        """The same shape with every count (users, items, interactions, entities, triples) times ``factor``."""
        return replace(self, users=int(self.users * factor), items=int(self.items * factor),
                       interactions=int(self.interactions * factor), entities=int(self.entities * factor),
                       triples=int(self.triples * factor))


def _power_law(n: int, size: int, exponent: float, gen: torch.Generator) -> torch.Tensor:
    weights = torch.arange(1, n + 1, dtype=torch.float64).pow(-exponent)
    idx = torch.multinomial(weights, size, replacement=True, generator=gen)
    return torch.randperm(n, generator=gen)[idx]  # shuffle which ids are popular


def synthetic_graph(shape: Shape, seed: int = 0) -> RecGraph:
    """A seeded RecGraph with ``shape``'s sizes and power-law degrees (no valid/test pairs)."""
    gen = torch.Generator().manual_seed(seed)
    want = shape.interactions
    keys = torch.empty(0, dtype=torch.long)
    while keys.numel() < want:  # oversample, then drop duplicate pairs
        n = int((want - keys.numel()) * 1.2) + 1000
        u = _power_law(shape.users, n, 0.6, gen)
        i = _power_law(shape.items, n, 0.8, gen)
        keys = torch.unique(torch.cat([keys, u * shape.items + i]))
    keys = keys[torch.randperm(keys.numel(), generator=gen)[:want]].sort().values
    train = torch.stack([keys // shape.items, keys % shape.items])
    data = HeteroData()
    data["User"].num_nodes, data["Item"].num_nodes = shape.users, shape.items
    data["Entity"].num_nodes = shape.entities
    data["User", "RATED", "Item"].edge_index = train
    data["Item", "rev_RATED", "User"].edge_index = train.flip(0)
    heads = _power_law(shape.items, shape.triples, 0.5, gen)
    tails = _power_law(shape.entities, shape.triples, 0.9, gen)
    rels = _power_law(shape.relations, shape.triples, 1.0, gen)
    for r in range(shape.relations):
        sel = rels == r
        ei = torch.stack([heads[sel], tails[sel]])
        data["Item", f"R{r}", "Entity"].edge_index = ei
        data["Entity", f"rev_R{r}", "Item"].edge_index = ei.flip(0)
    data["Item"].x = torch.randn(shape.items, shape.text_dim, generator=gen)
    ids = {t: [str(k) for k in range(int(data[t].num_nodes))] for t in ("User", "Item", "Entity")}
    empty = torch.empty(2, 0, dtype=torch.long)
    return RecGraph(data=data, ids=ids, train=train, valid=empty, test=empty, behaviours=["RATED"])


def time_steps(graph: RecGraph, cfg: TrainConfig, steps: int, device: torch.device) -> tuple[float, float, float]:
    """Seconds per training step (mean over ``steps`` after one warm-up), setup seconds and the seconds of the work
    each epoch does before its steps (``hetero``: drawing its side neighbourhoods)."""
    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    bound = bind(graph, graph.train, cfg, device)
    sampler = NegativeSampler(graph.train, graph.num_items)
    opt = torch.optim.Adam(bound.module.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    setup = time.perf_counter() - t0
    t1 = time.perf_counter()
    bound.start_epoch()
    per_epoch = time.perf_counter() - t1
    times = []
    for step in range(steps + 1):
        s = time.perf_counter()
        idx = torch.randint(graph.train.size(1), (cfg.batch_size,), generator=gen)
        users, pos = graph.train[0, idx], graph.train[1, idx]
        neg = sampler.sample(users, cfg.negatives, gen)
        users, pos, neg = users.to(device), pos.to(device), neg.to(device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
            u_all, i_all = bound.embed()
            u = u_all[users]
            loss = bpr_loss((u * i_all[pos]).sum(-1).float(), (u.unsqueeze(1) * i_all[neg]).sum(-1).float())
        ego = bound.ego(users, torch.cat([pos, neg.flatten()]))
        loss = loss + cfg.weight_decay * l2_penalty(*ego)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step:
            times.append(time.perf_counter() - s)
    return sum(times) / len(times), setup, per_epoch


def peak_rss_gb() -> float:
    """Peak resident set size of this process in GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def main(argv: list[str] | None = None) -> str:
    """Build the graph, time both models, write the ``train`` section; returns its markdown."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--steps", type=int, default=5, help="timed training steps per model (default: 5)")
    ap.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    ap.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds of both models back to back; the table gives each model's median (default: 3)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    shape = Shape()
    load_start = os.getloadavg()
    t0 = time.perf_counter()
    graph = synthetic_graph(shape)
    build_s = time.perf_counter() - t0
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    steps_per_epoch = -(-graph.train.size(1) // args.batch_size)
    rows, ratios = [], []
    for device in devices:
        timed: dict[str, list[float]] = {"lightgcn": [], "hetero": []}
        setups: dict[str, float] = {}
        prep: dict[str, list[float]] = {"lightgcn": [], "hetero": []}
        for _ in range(args.rounds):   # alternate the models, so that a shared machine's load falls on both
            for model in timed:
                cfg = TrainConfig(model=model, batch_size=args.batch_size, out_dir=None)
                per_step, setups[model], epoch_s = time_steps(graph, cfg, args.steps, device)
                timed[model].append(per_step * steps_per_epoch + epoch_s)
                prep[model].append(epoch_s)
        for model, times in timed.items():
            per_epoch, ready = statistics.median(times), statistics.median(prep[model])
            rows.append(
                f"| {model} | {device.type} | {(per_epoch - ready) / steps_per_epoch:.3f} | {ready:.2f} "
                f"| {per_epoch:.0f} | {setups[model]:.1f} | {peak_rss_gb():.2f} |"
            )
            print(rows[-1], flush=True)
        per_round = sorted(h / g for h, g in zip(timed["hetero"], timed["lightgcn"], strict=True))
        ratios.append(f"{device.type} {statistics.median(timed['hetero']) / statistics.median(timed['lightgcn']):.1f}× "
                      f"(rounds {per_round[0]:.2f}–{per_round[-1]:.2f}×)")
    load = f"{load_start[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    n_kg = sum(graph.data[et].edge_index.size(1) for et in graph.kg_edge_types) // 2
    body = "\n".join(
        [
            "## Training speed (synthetic amazon-book-shaped graph)",
            "",
            f"Synthetic, seeded (seed 0): {graph.num_users:,} users, {graph.num_items:,} items, "
            f"{graph.train.size(1):,} training interactions (power-law degrees), {shape.entities:,} KG entities, "
            f"{shape.relations} relations, {n_kg:,} KG triples (+ reverses), 384-d item text features; "
            f"built in {build_s:.0f} s. Full-graph propagation (sparse CSR, no pyg-lib/torch-sparse), "
            f"dim {TrainConfig.dim}, {TrainConfig.layers} layers, batch {args.batch_size} "
            f"→ {steps_per_epoch} steps per epoch, {torch.get_num_threads()} CPU threads. "
            f"Seconds per epoch = the median over {args.rounds} rounds (the two models back to back in each) "
            f"of (the mean of {args.steps} timed steps after one warm-up) × steps per epoch + the epoch's own "
            "preparation (hetero draws its side neighbourhoods); evaluation excluded. Peak RSS is cumulative over the "
            "process (graph + every model so far).",
            "",
            "| model | device | s / step | epoch preparation s | s / epoch (extrapolated) | setup s | peak RSS GB |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"hetero / lightgcn time per epoch (same graph, same run): {', '.join(ratios)}. "
            f"Load average (1 min): {load}. Command: `python -m benchmarks.train_bench --steps {args.steps}"
            f" --rounds {args.rounds}{f' --threads {args.threads}' if args.threads else ''}`.",
        ]
    )
    if not args.no_write:
        write_section("train", body)
    return body


if __name__ == "__main__":
    main()
