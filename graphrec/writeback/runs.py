"""Model runs: ``(:ModelRun)`` nodes, the atomic switch between runs, listing and pruning.

How the switch stays atomic: everything a run owns is keyed by the run. Its RECOMMENDED
relationships carry ``run``; its vectors live in the run's own properties (``embedding_<key>``,
``mips_<key>``) with the run's own vector indexes. All of it is committed while the run is still
``staging``. Readers (every ``cypher/recommend`` query) first pick the run with the greatest
``activated`` number, a single property of a single node, then read only that run's data. Activation
writes that number in one transaction, so a reader gets the old run or the new one, never a mix, even
though Neo4j reads are only read-committed.

The switch is O(1) in the size of the graph: it writes only ``(:ModelRun)`` nodes (the new run's
``activated``, and the ``active``/``status`` bookkeeping of the runs kept), never a user, item or entity
node, and builds no index: every index a reader needs was built and brought online while the run was
staging. Readers (the ``cypher/recommend`` queries, ``graphrec serve``, the Browser guide, any Bolt
client) reach the active run's vectors as ``n[run.prop]`` and its indexes by name as ``run.item_index``
and ``run.mips_index``; there is no per-node copy of the active run's vectors (the ``embedding``
property and ``item_embedding`` index of earlier versions are no longer written; :func:`prune` removes
them).

A run's ``status`` is a small state machine, each step one transaction:

``staging`` → ``ready`` → ``active`` → ``retired`` → ``deleting`` (then gone)

- ``staging``: being written by a publish; never read. ``ready``: completely written, with the counts
  of what was written. ``active``: the one run readers use. ``retired``: was active, still complete,
  may be activated again. ``deleting``: being deleted; never usable again.
- :func:`activate` takes only ``ready`` or ``retired`` runs whose data in the graph still matches the
  counts recorded at publish; the check and the switch hold the run's write lock, so a concurrent prune
  cannot slip between them.
- :func:`delete_run` marks ``deleting`` in its own transaction before deleting anything, so a prune
  killed half-way leaves a run nobody can activate, which the next prune finishes deleting.
- :func:`prune` keeps the ``keep`` newest *usable* runs (``ready``/``active``/``retired``) and the active
  one, and removes orphans: ``deleting`` runs, and ``staging`` runs older than a grace period (a publish
  that was killed). It holds the writer lease (:mod:`graphrec.db.lease`).
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
from graphrec.db.lease import WRITER, default_owner, lease
from graphrec.db.names import schema_names
from graphrec.db.queries import statements
from graphrec.errors import GraphRecError, InputError, NotFoundError
from graphrec.writeback.vectors import drop_index, vector_indexes

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")

USABLE = ("ready", "active", "retired")
"""Statuses of runs that are completely written and may be (or are) read."""
ACTIVATABLE = ("ready", "retired")
"""Statuses :func:`activate` accepts."""
STAGING_GRACE_S = 3600
"""Seconds a ``staging`` run is left alone by :func:`prune` (default): it may be a publish in progress."""


FOLD_KINDS = {"sum": "the sum of its items' query factors", "als": "ALS's own user solve",
              "ridge": "a ridge solve on the item vectors"}
"""The fold-ins a run may record (its ``fold``, solved by :func:`graphrec.writeback.refresh.fold_users`), each in
words: the values a model class may declare as ``Recommender.fold``."""


@dataclass(frozen=True)
class RunSpec:
    """What a model run is: the model's name, its hyper-parameters and its evaluation metrics.

    Attributes:
        model: model name, e.g. ``"lightgcn"``.
        params: hyper-parameters (JSON-serialisable; stored as a JSON string).
        metrics: evaluation metrics, e.g. ``{"recall@20": 0.21}`` (stored as a JSON string).
        run_id: the run's id (default: ``<model>-<UTC time>-<random>``).
        train_pairs: distinct user–item interactions the published model learnt from (``None``: unknown).
        fold: how ``graphrec refresh`` folds a new user into the run, as the model declares it
            (``Recommender.fold``: ``als`` or ``ridge`` for a factor model; ``sum`` is recorded whenever item
            query factors are published) (``None``: ``ridge``).
    """

    model: str
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    train_pairs: int | None = None
    fold: str | None = None


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

    @property
    def usable(self) -> bool:
        """Completely written: ``ready``, ``active`` or ``retired``."""
        return self.status in USABLE

    @classmethod
    def from_props(cls, p: dict[str, Any]) -> RunInfo:
        status = str(p.get("status", ""))
        if status == "ready" and p.get("active"):  # runs published before statuses moved on activation
            status = "active"
        elif status == "ready" and p.get("activated") is not None:
            status = "retired"
        return cls(id=p["id"], model=p.get("model", ""), status=status,
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


def _not_activatable(run_id: str, status: str) -> GraphRecError:
    why = {"staging": "it is still being written, or its publish was killed",
           "deleting": "it is being deleted (a prune stopped half-way?; `graphrec runs prune` finishes it)",
           "active": "it is the active run already"}.get(status, "it is not a completely written run")
    return GraphRecError(f"model run {run_id!r} is {status!r}, not ready or retired: {why}; it cannot be activated")


def _run_labels(driver: Driver, run: RunInfo) -> list[str]:
    """The labels the run wrote vectors on (user, item[, entity]), as stored on its node, checked
    against the database's labels (they may be a graph mapping's, which only the schema allows)."""
    stored = [str(x) for x in run.props.get("labels") or []]
    return [name for name in schema_names(driver, stored)] if stored else []


def check_counts(driver: Driver, run: RunInfo) -> None:
    """Check that the graph still holds what was recorded for ``run`` at publish.

    Raises:
        GraphRecError: fewer (or more) RECOMMENDED relationships or vectors than recorded.
    """
    want_rec, want_vec = run.counts.get("recommended"), run.counts.get("vectors")
    if want_rec is None and want_vec is None:
        raise GraphRecError(f"model run {run.id!r} records no counts of what it wrote; it cannot be checked "
                            f"and is not activated")
    if want_rec is not None:
        have = int(read(driver, load_query("writeback/run_recommended_count"), {"run": run.id})[0]["n"])
        if have != int(want_rec):
            raise GraphRecError(f"model run {run.id!r} has {have} RECOMMENDED relationships, {want_rec} were "
                                f"published: it is incomplete and is not activated (`graphrec runs prune` removes it)")
    prop = run.props.get("prop")
    if want_vec is not None and prop:
        have = sum(int(read(driver, render("writeback/run_vector_count", label=label), {"prop": prop})[0]["n"])
                   for label in _run_labels(driver, run))
        if have != int(want_vec):
            raise GraphRecError(f"model run {run.id!r} has {have} embedding vectors, {want_vec} were published: it "
                                f"is incomplete and is not activated (`graphrec runs prune` removes it)")


def switch_statements() -> list[str]:
    """The statements of the switch transaction, in order: the run's write lock (``writeback/run_lock``),
    then ``writeback/activate``. Every one touches ``(:ModelRun)`` nodes only (``tests/writeback`` PROFILEs
    them on a graph and on one twice its size)."""
    return [load_query("writeback/run_lock"), *statements(load_query("writeback/activate"))]


def prepare_switch(driver: Driver, run_id: str) -> None:
    """Run the switch's statements for ``run_id`` in a transaction that is rolled back, so that the server
    has planned them before the real switch (publish calls it while the run is still staging): the
    switch itself then only executes, and nothing is changed here."""
    with translated(getattr(driver, "graphrec_uri", "Neo4j")), driver.session(
            database=_database(driver), notifications_min_severity="OFF") as s, s.begin_transaction() as tx:
        for text in [load_query("writeback/run_get"), *switch_statements()]:
            tx.run(text, {"run": run_id}).consume()
        tx.rollback()


def activate(driver: Driver, run_id: str, *, verify: bool = True) -> RunInfo:
    """Make ``run_id`` the active run, atomically for readers (see the module docstring).

    The switch is one transaction over ``(:ModelRun)`` nodes only, whatever the size of the graph. With
    ``verify`` it is preceded by :func:`check_counts` (read-only, its cost grows with the run's size);
    :func:`publish` verifies a run when it marks it ``ready`` and so switches to its own run without.

    Args:
        driver: an open driver.
        run_id: the run to activate.
        verify: first check that the run's relationships and vectors still match the counts recorded at
            publish (default: ``True``).

    Raises:
        NotFoundError: no such run.
        GraphRecError: the run is not ``ready``/``retired``, or its data no longer matches its counts.
    """
    run = get_run(driver, run_id)
    if run.status not in ACTIVATABLE:
        raise _not_activatable(run_id, run.status)
    if verify:
        check_counts(driver, run)
    lock, *stmts = switch_statements()

    def work(tx: ManagedTransaction) -> None:
        row = tx.run(lock, {"run": run_id}).single()
        status = RunInfo.from_props({"id": run_id, "status": row["status"] if row else "gone",
                                     "active": row["active"] if row else False}).status
        if status not in ACTIVATABLE:  # changed since the check above (a prune marked it)
            raise _not_activatable(run_id, status)
        for stmt in stmts:
            tx.run(stmt, {"run": run_id}).consume()

    with translated(getattr(driver, "graphrec_uri", "Neo4j")), driver.session(
            database=_database(driver), notifications_min_severity="OFF") as s:
        s.execute_write(work)
    return get_run(driver, run_id)


def delete_run(driver: Driver, run_id: str, batch: int = 10_000) -> None:
    """Delete a run that is not active: mark it ``deleting`` (its own transaction), then delete its
    RECOMMENDED relationships (in batches), its per-run properties, its vector indexes and its node.

    Raises:
        NotFoundError: no such run.
        GraphRecError: the run is the active one.
    """
    run = get_run(driver, run_id)
    if run.active or not write(driver, load_query("writeback/run_mark_deleting"), {"run": run_id}).records:
        raise GraphRecError(f"model run {run_id!r} is active; activate another run before deleting it")
    keys = [k for k in (run.props.get("prop"), run.props.get("mips_prop"), run.props.get("fold_prop"),
                        run.props.get("seen_prop")) if k]
    with translated(getattr(driver, "graphrec_uri", "Neo4j")), driver.session(database=_database(driver)) as s:
        s.run(load_query("writeback/prune_rels"), {"run": run_id, "batch": batch}).consume()
        for label in _run_labels(driver, run):
            s.run(render("writeback/prune_props", label=label), {"keys": keys, "batch": batch}).consume()
    for name in (run.props.get("item_index"), run.props.get("mips_index")):
        if name:
            drop_index(driver, str(name))
    write(driver, load_query("writeback/run_delete"), {"run": run_id})


def prune(driver: Driver, keep: int = 1, batch: int = 10_000, grace_s: float = STAGING_GRACE_S) -> list[str]:
    """Keep the ``keep`` newest usable runs and the active one; delete the other usable runs and the
    orphans: every ``deleting`` run and every ``staging`` run older than ``grace_s`` seconds.

    Holds the writer lease while it works.

    Args:
        driver: an open driver.
        keep: usable (``ready``/``active``/``retired``) runs to keep, newest first (default: 1).
        batch: relationships deleted per inner transaction (default: 10000).
        grace_s: age under which a ``staging`` run is left alone, as a publish may be writing it
            (default: 3600).

    Returns:
        The ids of the deleted runs.

    Raises:
        InputError: ``keep`` or ``grace_s`` below 0.
        LeaseError: another graphrec writer is using the database.
    """
    if keep < 0:
        raise InputError("prune", None, "keep", f"must be >= 0, got {keep}")
    if grace_s < 0:
        raise InputError("prune", None, "grace", f"must be >= 0, got {grace_s}")
    with lease(driver, WRITER, owner=default_owner("graphrec runs prune")):
        runs = list_runs(driver)  # newest first
        act = active_run(driver)
        usable = [r for r in runs if r.usable]
        kept = {r.id for r in usable[:keep]} | {r.id for r in runs if r.active}
        if act is not None:
            kept.add(act.id)
        gone = [r.id for r in runs if r.id not in kept and (
            r.usable or r.status == "deleting"
            or (r.status == "staging" and float(r.props.get("age_s") or 0) >= grace_s))]
        for run_id in gone:
            delete_run(driver, run_id, batch=batch)
        _remove_legacy_mirror(driver, [r for r in runs if r.id not in gone], batch)
    return gone


def _remove_legacy_mirror(driver: Driver, runs: list[RunInfo], batch: int) -> None:
    """Remove what activation wrote before the switch became O(1): the copy of the active run's vectors in
    the canonical ``embedding`` property of the runs' labels and the ``item_embedding`` vector index on it.
    Only where that index exists on ``embedding`` (so graphrec wrote them); nothing reads them now."""
    legacy = vector_indexes(driver).get("item_embedding")
    if legacy is None or legacy.get("property") != "embedding":
        return
    labels = list(dict.fromkeys(label for r in runs for label in _run_labels(driver, r)))
    with translated(getattr(driver, "graphrec_uri", "Neo4j")), driver.session(database=_database(driver)) as s:
        for label in labels:
            s.run(render("writeback/prune_props", label=label), {"keys": ["embedding"], "batch": batch}).consume()
    drop_index(driver, "item_embedding")
