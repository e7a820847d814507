"""Training past one process: ``torch.distributed`` (gloo on CPU, NCCL on CUDA), torchrun-compatible.

A process group comes from the environment that ``torchrun`` sets (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``, ``MASTER_PORT``), or from :func:`spawn`, which starts ``N`` local processes with
``torch.multiprocessing`` and sets the same variables. Every rank runs the same fit on the same graph; what is split
between the ranks:

* the stream-out from Neo4j: each rank streams a block of every relationship type's source pages and the blocks
  are exchanged (the CLI hands :func:`broadcast` and :func:`gather` to ``graphrec.loaders.build.Shard``), so every
  rank holds the whole graph, as one process would have loaded it;
* item–item models (``graph``, ``ease``), dense path: the stacked Gram matrix ``XᵀX`` — each rank sums the rows
  of its share (:func:`gram`), the parts are added by ``all_reduce``; every rank then solves the same system and
  makes the same choice (and :func:`agree` hands every rank rank 0's choice, should floating point ever differ);
* the GNNs (``lightgcn``, ``hetero``): ``DistributedDataParallel`` — each rank draws its share of the epoch's seed
  pairs (:func:`shard`, :func:`seed_sampler`: ``DistributedSampler``'s split, padded so every rank steps equally
  often) with ``batch_size / N`` pairs per step, and the gradients are averaged (:func:`replicate`): one step of
  ``N`` ranks is one step of ``batch_size`` pairs.

Outside a group (one process) every function here is the identity or the plain single-process computation.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from typing import Any, TypeVar

import scipy.sparse as sp
import torch
import torch.distributed as dist
from torch import Tensor

from graphrec.train.matrices import dense_gram

T = TypeVar("T")
Step = Callable[[Callable[[], Tensor]], Tensor]
"""``step(loss_fn)``: the loss of one training step, computed so that its gradients are averaged over ranks."""
ENV = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def launched() -> int:
    """``WORLD_SIZE`` when this process was started by torchrun (or :func:`spawn`) with its group's variables set,
    else 0."""
    if all(k in os.environ for k in ENV):
        return int(os.environ["WORLD_SIZE"])
    return 0


def active() -> bool:
    """Whether a process group of more than one rank is up."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank (0 outside a group)."""
    return dist.get_rank() if active() else 0


def world() -> int:
    """Ranks in the group (1 outside one)."""
    return dist.get_world_size() if active() else 1


def _device() -> torch.device:
    """Where collectives run: this rank's GPU under NCCL, else the CPU."""
    if active() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


@contextmanager
def group(cuda: bool) -> Iterator[None]:
    """Join the process group the environment describes (:func:`launched`), NCCL when ``cuda`` (each local rank on
    GPU ``LOCAL_RANK``) else gloo, and leave it on the way out; nothing without such an environment."""
    if launched() <= 1 or (dist.is_available() and dist.is_initialized()):
        yield
        return
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend="nccl" if cuda else "gloo", init_method="env://")
    try:
        yield
    finally:
        dist.destroy_process_group()


def broadcast(obj: T | None) -> T:
    """Rank 0's ``obj`` on every rank (pickled; other ranks pass ``None``)."""
    if not active():
        assert obj is not None
        return obj
    box: list[Any] = [obj if rank() == 0 else None]
    dist.broadcast_object_list(box, src=0, device=_device())
    return box[0]  # type: ignore[no-any-return]


def gather(obj: T) -> list[T]:
    """Every rank's ``obj`` (pickled), in rank order, on every rank."""
    if not active():
        return [obj]
    out: list[Any] = [None] * world()
    dist.all_gather_object(out, obj)
    return out


def agree(obj: T) -> T:
    """Rank 0's ``obj`` everywhere: a choice every rank made from the same reduced statistics, made one."""
    return broadcast(obj) if active() else obj


def gram(stacked: sp.csr_matrix) -> Tensor:
    """``stackedᵀ stacked`` as a dense float32 tensor; in a group each rank sums the rows of its share (contiguous
    blocks of rows) and the parts are added by ``all_reduce``, in float32 like one process (one ``n²`` buffer, as
    the memory bound counts; counts of 0/1 interactions stay exact)."""
    if not active():
        return dense_gram(stacked)
    rows = stacked.shape[0]
    part = stacked[rows * rank() // world(): rows * (rank() + 1) // world()]
    g = dense_gram(part).to(_device())
    dist.all_reduce(g, op=dist.ReduceOp.SUM)
    return g.cpu()


def shard(perm: Tensor) -> Tensor:
    """This rank's share of an epoch's order ``perm`` (the same on every rank): every ``world``-th entry from
    ``rank``, padded by wrapping round so that every rank gets as many (``DistributedSampler``'s split)."""
    if not active():
        return perm
    n, w = perm.numel(), world()
    total = -(-n // w) * w
    padded = torch.cat([perm, perm[: total - n]]) if total > n else perm
    return padded[rank()::w]


def local_batch(batch_size: int) -> int:
    """Pairs per step on each rank: the global ``batch_size`` split between the ranks (at least 1)."""
    return max(1, batch_size // world())


def order_generator(gen: torch.Generator, seed: int) -> torch.Generator:
    """The generator that shuffles each epoch: ``gen`` in one process; in a group one of its own, seeded alike on
    every rank and used for nothing else, so that the ranks' orders stay equal while their negatives differ."""
    return torch.Generator().manual_seed(seed) if active() else gen


def seed_sampler(pairs: int, seed: int) -> torch.utils.data.DistributedSampler[int] | None:
    """The mini-batch loader's sampler of seed pairs in a group (this rank's share, reshuffled each epoch by
    ``set_epoch``); ``None`` in one process (the loader shuffles)."""
    if not active():
        return None
    return torch.utils.data.DistributedSampler(_Range(pairs), num_replicas=world(), rank=rank(), shuffle=True,
                                               seed=seed)


def mean(value: float) -> float:
    """The mean of ``value`` over the ranks (an epoch's loss)."""
    if not active():
        return value
    t = torch.tensor([value], dtype=torch.float64, device=_device())
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return float(t.item()) / world()


class _Range(torch.utils.data.Dataset[int]):
    """``range(n)`` as a ``Dataset`` (what ``DistributedSampler`` counts)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return i


class _Call(torch.nn.Module):
    """``module`` behind a ``forward(fn) = fn()``, so that DDP can wrap a whole loss computation."""

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.inner = module

    def forward(self, fn: Callable[[], Tensor]) -> Tensor:
        return fn()


def replicate(module: torch.nn.Module, device: torch.device) -> Step:
    """``step(loss_fn)`` for ``module``: ``loss_fn()`` itself in one process; in a group, run through
    ``DistributedDataParallel`` so that the backward pass averages the gradients over the ranks."""
    if not active():
        return lambda fn: fn()
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else None
    # find_unused_parameters: a mini-batch may touch no node of some type (its table gets no gradient)
    ddp = DistributedDataParallel(_Call(module), device_ids=ids, find_unused_parameters=True)
    return lambda fn: ddp(fn)


def free_port() -> int:
    """A TCP port free on this machine now (the local group's rendezvous)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _entry(local: int, n: int, port: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    os.environ.update({"RANK": str(local), "LOCAL_RANK": str(local), "WORLD_SIZE": str(n),
                       "LOCAL_WORLD_SIZE": str(n), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    fn(*args)


def spawn(n: int, fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` in ``n`` new local processes (``torch.multiprocessing.spawn``) with the variables torchrun
    would set (rank ``i`` of ``n``, rendezvous on a free local port); returns when all have finished.

    Raises:
        torch.multiprocessing.ProcessRaisedException: a rank failed (the others are stopped).
    """
    from torch.multiprocessing.spawn import spawn as mp_spawn

    log = logging.getLogger("torch.multiprocessing.spawn")   # "Terminating process …" when a rank fails: the
    level = log.level                                        # caller reports the failure in its own words
    log.setLevel(logging.ERROR)
    try:
        mp_spawn(_entry, args=(n, free_port(), fn, args), nprocs=n, join=True)  # type: ignore[no-untyped-call]
    finally:
        log.setLevel(level)
