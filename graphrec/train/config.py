"""Training settings: one typed object, built by the CLI and passed down."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SIDE_CHANNELS = ("behaviours", "entities", "text")


@dataclass
class TrainConfig:
    """How to train one model.

    Attributes:
        model: a name of :data:`graphrec.train.registry.REGISTRY` (default: ``"graph"``).
        epochs: maximum number of epochs (default: ``150``).
        dim: embedding size (default: ``64``).
        layers: propagation layers (default: ``3``).
        lr: Adam learning rate (default: ``5e-3``).
        weight_decay: L2 coefficient on the batch's layer-0 embeddings, LightGCN style
            (default: ``1e-4``).
        batch_size: positive pairs per step (default: ``4096``).
        negatives: negatives sampled per positive (default: ``1``).
        seed: seed of initialisation, sampling and any carved validation set (default: ``2020``).
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"`` (default: ``"auto"``).
        patience: evaluations without a better validation Recall@20 before stopping (default: ``5``).
        eval_every: epochs between validation evaluations (default: ``5``).
        ks: cut-offs of the reported metrics (default: ``(20, 10)``).
        out_dir: folder for the best checkpoint and the curve PNG/CSV; ``None`` writes nothing
            (default: ``runs``).
        valid_fraction: share of each user's training interactions held out for validation when
            the graph has no validation split (default: ``0.1``).
        text: use node text embeddings when present (``hetero`` only) (default: ``True``).
        side_init: initial weight of the KG/social channels (``hetero`` only) (default: ``0.1``: side
            channels start quiet and grow where they help; 0.5 let lastfm-2k's 130 KG/tag relations
            drown the interactions and overfit by epoch 55).
        dropout: message dropout on the KG/social channels and text (``hetero`` only) (default: ``0.5``).
        side_sample: ``hetero``: each full-graph training epoch draws at most this many of each node's KG/social
            neighbours, over every relation together, weighted to estimate the whole neighbourhood without bias
            (KGCN's fixed-size neighbourhood, re-drawn every epoch; evaluation uses every neighbour; ``None``: every
            neighbour in training too) (default: ``16``).
        eval_batch_size: users per batch in full-ranking evaluation (default: ``1024``).
        by_activity: also score the test pairs per user-activity bucket
            (:data:`graphrec.train.protocols.ACTIVITY_BUCKETS`; ``metrics["activity <10"]``, …) (default: ``False``).
        top_k: recommendations per user kept in the artefact of item–item models (default: ``100``).
        lam: EASE λ; ``None`` = chosen on validation among multiples of the mean item degree
            (default: ``None``).
        neighbours: item–item models: take the sparse path, each item solved over its ``neighbours``
            strongest co-occurring items (``None`` = the dense path where it fits ``memory_gb``; ``graph``
            takes the sparse path by itself, sized by the catalogue and the bound, where it does not)
            (default: ``None``).
        memory_gb: the fit's memory bound in GiB: the dense item–item solve (``4·4·items²`` bytes) where it
            fits, else ``graph``'s sparse path (``ease`` refuses with :class:`~graphrec.errors.CapacityError`);
            also bounds the users scored at once (``None`` = half the available memory) (default: ``None``).
        search_items: catalogues above this many items search fewer λ candidates; also the size of the
            head that a large catalogue chooses on (see ``select_items``) (default: ``10000``).
        select_items: ``ease``/``graph`` on catalogues above this many items choose λ and the weights on
            their ``search_items`` most-interacted items, then refit once on every item
            (:mod:`graphrec.train.head`) (default: ``20000``).
        valid_users: validation ranks the items of at most this many users, a seeded sample when there are
            more (every trial of the selection and every early-stopping check is one such pass)
            (default: ``20000``).
        side: side channels ``graph`` may use: ``behaviours``, ``entities``, ``text`` (default: all).
        filter: ``graph`` blends in the low-pass graph filter (default: ``True``).
        cold_boost: ``graph`` (dense path), where the graph has items without a training interaction: their columns
            blend in their content similarity and their scores are scaled by a factor, both chosen on a pseudo-cold
            validation carve (:mod:`graphrec.train.cold`), the factor among those costing at most this relative loss
            of warm validation Recall@20 and of NDCG@20 (``1``: chosen by the cold pairs alone; ``None``: neither
            change) (default: ``0``: the content blend without a boost; ``0.005`` kept ml-100k u1 within 1 std
            but cost the temporal split's NDCG@20 0.0009).
        pop_debias: ``graph`` (dense path): re-rank the served lists of all users together for catalogue coverage
            (:mod:`graphrec.train.rerank`: items no list shows placed where they cost least, a few per user), the
            number per user with the largest validation coverage@20 costing at most this relative loss of
            validation Recall@20 (``None``: no re-ranking) (default: ``None``).
        minibatch: ``lightgcn``/``hetero``: ``True`` trains on ``LinkNeighborLoader`` mini-batches (each step
            propagates over the batch's sampled subgraph only), ``False`` on the whole graph every step, ``None``
            mini-batches above :data:`graphrec.train.minibatch.MINIBATCH_PAIRS` training pairs (default: ``None``).
        fanout: mini-batch training: neighbours sampled per node and hop (default: ``10``).
        als_iterations: ALS sweeps (default: ``15``).
        als_factors: ALS factors; ``None`` = chosen on validation (default: ``None``).
    """

    model: str = "graph"
    epochs: int = 150
    dim: int = 64
    layers: int = 3
    lr: float = 5e-3
    weight_decay: float = 1e-4
    batch_size: int = 4096
    negatives: int = 1
    seed: int = 2020
    device: str = "auto"
    patience: int = 5
    eval_every: int = 5
    ks: tuple[int, ...] = (20, 10)
    out_dir: Path | None = field(default_factory=lambda: Path("runs"))
    valid_fraction: float = 0.1
    text: bool = True
    side_init: float = 0.1
    dropout: float = 0.5
    side_sample: int | None = 16
    eval_batch_size: int = 1024
    by_activity: bool = False
    top_k: int = 100
    lam: float | None = None
    neighbours: int | None = None
    memory_gb: float | None = None
    search_items: int = 10_000
    select_items: int = 20_000
    valid_users: int = 20_000
    side: tuple[str, ...] = SIDE_CHANNELS
    filter: bool = True
    cold_boost: float | None = 0.0
    pop_debias: float | None = None
    minibatch: bool | None = None
    fanout: int = 10
    als_iterations: int = 15
    als_factors: int | None = None

    def __post_init__(self) -> None:
        from graphrec.train.registry import model_class

        model_class(self.model)   # raises ValueError naming the registered models
        unknown = set(self.side) - set(SIDE_CHANNELS)
        if unknown:
            raise ValueError(f"side: unknown channel(s) {', '.join(sorted(unknown))}; "
                             f"choose from {', '.join(SIDE_CHANNELS)}")
        self.side = tuple(self.side)
        if self.lam is not None and self.lam <= 0:
            raise ValueError(f"lam must be positive, got {self.lam}")
        if self.memory_gb is not None and not self.memory_gb > 0:
            raise ValueError(f"memory_gb must be positive, got {self.memory_gb}")
        for name in ("neighbours", "side_sample"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("cold_boost", "pop_debias"):
            if getattr(self, name) is not None and not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be auto, cpu or cuda, not {self.device!r}")
        for name in ("epochs", "dim", "layers", "batch_size", "negatives", "patience", "eval_every", "top_k",
                     "als_iterations", "search_items", "select_items", "valid_users", "fanout"):
            if getattr(self, name) < (0 if name == "layers" else 1):
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not self.ks or min(self.ks) < 1:
            raise ValueError(f"ks must be positive cut-offs, got {self.ks}")
        if not 0 < self.valid_fraction < 1:
            raise ValueError(f"valid_fraction must be in (0, 1), got {self.valid_fraction}")
        self.ks = tuple(int(k) for k in self.ks)
        if self.out_dir is not None:
            self.out_dir = Path(self.out_dir)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (for the ModelRun node and the checkpoint)."""
        d = asdict(self)
        d["out_dir"] = None if self.out_dir is None else str(self.out_dir)
        d["ks"] = list(self.ks)
        d["side"] = list(self.side)
        return d
