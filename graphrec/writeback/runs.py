"""Model runs: ``(:ModelRun)`` nodes, the atomic switch between runs, listing and pruning.

How the switch stays atomic: everything a run owns is keyed by the run. Its RECOMMENDED
relationships carry ``run``; its vectors live in the run's own properties (``embedding_<key>``,
``mips_<key>``) with the run's own vector indexes. All of it is committed while the run is still
``staging``. Readers (every ``cypher/recommend`` query) first pick the run with the greatest
``activated`` number, a single property of a single node, then read only that run's data. Activation
writes that number in one transaction, so a reader gets the old run or the new one, never a mix, even
though Neo4j reads are only read-committed. The same transaction copies the run's vectors to the
canonical ``embedding`` property (vector index ``item_embedding``) for Browser and ad-hoc clients.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver, ManagedTransaction

from graphrec.db import load_query, read, render, write
from graphrec.db.driver import translated
from graphrec.db.queries import statements
from graphrec.errors import GraphRecError, InputError, NotFoundError
from graphrec.writeback.vectors import create_mirror_index, drop_index, ensure_mirror_index

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")


@dataclass(frozen=True)
class RunSpec:
    """What a model run is: the model's name, its hyper-parameters and its evaluation metrics.

    Attributes:
        model: model name, e.g. ``"lightgcn"``.
        params: hyper-parameters (JSON-serialisable; stored as a JSON string).
        metrics: evaluation metrics, e.g. ``{"recall@20": 0.21}`` (stored as a JSON string).
        run_id: the run's id (default: ``<model>-<UTC time>-<random>``).
        train_pairs: distinct user–item interactions the published model learnt from (``None``: unknown).
    """

    model: str
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    train_pairs: int | None = None


@dataclass(frozen=True)
class RunInfo:
    """One ``(:ModelRun)`` as stored."""

    id: str
    model: str
    status: str
    active: bool
    created: str
    activated: int | None
    dim: int | None
    k: int | None
    params: dict[str, Any]
    metrics: dict[str, Any]
    counts: dict[str, Any]
    props: dict[str, Any]

    @classmethod
    def from_props(cls, p: dict[str, Any]) -> RunInfo:
        return cls(id=p["id"], model=p.get("model", ""), status=p.get("status", ""),
                   active=bool(p.get("active")), created=str(p.get("created", "")),
                   activated=p.get("activated"), dim=p.get("dim"), k=p.get("k"),
                   params=_loads(p.get("params")), metrics=_loads(p.get("metrics")),
                   counts=_loads(p.get("counts")), props=p)


def _loads(text: Any) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def new_run_id(model: str) -> str:
    """``<model>-<YYYYmmddTHHMMSS>-<6 hex>``."""
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-") or "run"
    return f"{slug[:32]}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"


def run_key(run_id: str) -> str:
    """The run's key in property and index names: lower-case, ``[a-z0-9_]`` only."""
    if not _RUN_ID.match(run_id):
        raise InputError("run", None, "run_id", f"{run_id!r} is not a valid run id ([A-Za-z0-9_.:-], 1-80 chars)")
    return re.sub(r"[^a-z0-9]", "_", run_id.lower())


def list_runs(driver: Driver) -> list[RunInfo]:
    """Every run, newest first."""
    return [RunInfo.from_props(dict(r["run"])) for r in read(driver, load_query("writeback/runs_list"))]


def get_run(driver: Driver, run_id: str) -> RunInfo:
    """One run.

    Raises:
        NotFoundError: no such run.
    """
    recs = read(driver, load_query("writeback/run_get"), {"run": run_id})
    if not recs:
        raise NotFoundError(f"no model run {run_id!r} (see `graphrec runs list`)")
    return RunInfo.from_props(dict(recs[0]["run"]))


def active_run(driver: Driver) -> RunInfo | None:
    """The run recommend queries read now (greatest ``activated``), or ``None``."""
    runs = [r for r in list_runs(driver) if r.activated is not None]
    return max(runs, key=lambda r: r.activated or 0) if runs else None


def _database(driver: Driver) -> str | None:
    db = getattr(driver, "graphrec_database", None)
    return db if isinstance(db, str) else None


def activate(driver: Driver, run_id: str) -> RunInfo:
    """Make ``run_id`` the active run, atomically for readers (see the module docstring).

    Raises:
        NotFoundError: no such run.
        GraphRecError: the run is not completely written (status other than ``ready``).
    """
    run = get_run(driver, run_id)
    if run.status != "ready":
        raise GraphRecError(f"model run {run_id!r} is {run.status!r}, not ready; it cannot be activated")
    dim = int(run.dim or 0)
    ensure_mirror_index(driver, dim)
    stmts = statements(load_query("writeback/activate"))
    key = str(run.props.get("prop"))
    mirrors = [render("writeback/mirror_embedding", label=label) for label in run.props.get("labels") or []]

    def work(tx: ManagedTransaction) -> None:
        for stmt in stmts:
            tx.run(stmt, {"run": run_id}).consume()
        for text in mirrors:
            tx.run(text, {"key": key}).consume()

    with translated(getattr(driver, "graphrec_uri", "Neo4j")), driver.session(
            database=_database(driver), notifications_min_severity="OFF") as s:
        s.execute_write(work)
    create_mirror_index(driver, dim)
    return get_run(driver, run_id)


def delete_run(driver: Driver, run_id: str, batch: int = 10_000) -> None:
    """Delete a run that is not active: its RECOMMENDED relationships (in batches), its per-run
    properties, its vector indexes and its node.

    Raises:
        NotFoundError: no such run.
        GraphRecError: the run is the active one.
    """
    run = get_run(driver, run_id)
    if run.active:
        raise GraphRecError(f"model run {run_id!r} is active; activate another run before deleting it")
    keys = [k for k in (run.props.get("prop"), run.props.get("mips_prop")) if k]
    with translated(getattr(driver, "graphrec_uri", "Neo4j")), driver.session(database=_database(driver)) as s:
        s.run(load_query("writeback/prune_rels"), {"run": run_id, "batch": batch}).consume()
        for label in run.props.get("labels") or []:
            s.run(render("writeback/prune_props", label=label), {"keys": keys, "batch": batch}).consume()
    for name in (run.props.get("item_index"), run.props.get("mips_index")):
        if name:
            drop_index(driver, str(name))
    write(driver, load_query("writeback/run_delete"), {"run": run_id})


def prune(driver: Driver, keep: int = 1, batch: int = 10_000) -> list[str]:
    """Delete all runs but the ``keep`` newest; the active run is always kept.

    Returns:
        The ids of the deleted runs.
    """
    if keep < 0:
        raise InputError("prune", None, "keep", f"must be >= 0, got {keep}")
    runs = list_runs(driver)  # newest first
    kept = {r.id for r in runs[:keep]} | {r.id for r in runs if r.active}
    act = active_run(driver)
    if act is not None:
        kept.add(act.id)
    gone = [r.id for r in runs if r.id not in kept]
    for run_id in gone:
        delete_run(driver, run_id, batch=batch)
    return gone
