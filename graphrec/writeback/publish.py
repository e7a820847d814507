"""Publish a trained model's output into Neo4j: vectors, top-K RECOMMENDED, a ModelRun, the switch."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import torch
from neo4j import Driver
from torch import Tensor

from graphrec.artefact import Artefact
from graphrec.artefact_check import check_exclude, check_top, check_vectors
from graphrec.db import load_query, read, render, write, write_batches
from graphrec.db.labels import is_allowed
from graphrec.db.lease import WRITER, default_owner, lease
from graphrec.db.names import schema_names
from graphrec.errors import ConfigError, GraphRecError, InputError
from graphrec.mapping import GraphMapping
from graphrec.types import NodeType, Row
from graphrec.writeback.layout import Progress, RunNames, WriteLayout
from graphrec.writeback.recommended import item_positions, to_rows
from graphrec.writeback.runs import (
    FOLD_KINDS,
    RunSpec,
    activate,
    check_counts,
    delete_run,
    get_run,
    new_run_id,
    prepare_switch,
    run_key,
)
from graphrec.writeback.topk import TopK, top_k
from graphrec.writeback.vectors import (
    HNSW_MIPS_EF_CONSTRUCTION,
    HNSW_MIPS_M,
    await_index,
    create_run_index,
    ensure_id_indexes,
    mips_augment,
    write_vectors,
)


@dataclass
class PublishResult:
    """What :func:`publish` wrote and how fast.

    Attributes:
        run_id: the new run's id.
        active: whether the run was activated.
        vectors: embedding vectors written (users + items + entities; MIPS copies not counted).
        recommended: RECOMMENDED relationships written.
        seconds: wall time per stage (``vectors``, ``index`` (creating the vector indexes, plus the wait
            for their population left when everything else is written: the server populates them in the
            background meanwhile), ``recommended`` (ranking, done in a thread from the start, and writing),
            ``fold_state``, ``verify`` (the counts check of what reached the graph), ``activate`` (the
            switch), ``total``).
    """

    run_id: str
    active: bool
    vectors: int = 0
    recommended: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def vectors_per_s(self) -> float:
        """Embedding vectors written per second (the vector stage alone)."""
        t = self.seconds.get("vectors", 0.0)
        return self.vectors / t if t > 0 else 0.0

    @property
    def recommended_per_s(self) -> float:
        """RECOMMENDED relationships written per second."""
        t = self.seconds.get("recommended", 0.0)
        return self.recommended / t if t > 0 else 0.0


def validate(ids: Mapping[NodeType, Sequence[str]], user_emb: Tensor, item_emb: Tensor, exclude: Tensor | None,
             k: int, entity_emb: Tensor | None, user_type: NodeType, item_type: NodeType,
             entity_type: NodeType, top: tuple[Tensor, Tensor] | None = None, fold: Tensor | None = None) -> None:
    """Check types, shapes and values before any I/O (:mod:`graphrec.artefact_check`): finite vectors of one
    width within Neo4j's limit, in-range exclusion pairs, a well-formed top-K.

    Raises:
        InputError: naming the argument that is wrong.
    """
    for t in (user_type, item_type, *((entity_type,) if entity_emb is not None else ())):
        if ids.get(t) is None:
            raise InputError("publish", None, "ids", f"has no id list for {t!r}")
    users, items = len(ids[user_type]), len(ids[item_type])
    d = check_vectors("user_emb", user_emb, users, None, "publish")
    check_vectors("item_emb", item_emb, items, d, "publish")
    if entity_emb is not None:
        check_vectors("entity_emb", entity_emb, len(ids[entity_type]), d, "publish")
    if fold is not None:
        check_vectors("fold", fold, items, d, "publish")
    if k < 1:
        raise InputError("publish", None, "k", f"must be >= 1, got {k}")
    if exclude is not None:
        check_exclude(exclude, users, items, "publish")
    if top is not None:
        check_top(top[0], top[1], users, items, "publish")


def check_known_ids(driver: Driver, ids: Mapping[NodeType, Sequence[str]], labels: Sequence[NodeType],
                    id_keys: Mapping[NodeType, str] | None = None, chunk: int = 20000) -> None:
    """Every id of ``labels`` in ``ids`` is a node of the database (an artefact fitted on another graph names
    ids it does not have, and its writes would match nothing). One index lookup per id, read only.

    Raises:
        InputError: how many ids of a label are unknown, with a few of them.
    """
    for label in labels:
        query = render("writeback/unknown_ids", label=label, id=(id_keys or {}).get(label, "id"))
        wanted = list(ids[label])
        unknown, some = 0, []
        for start in range(0, len(wanted), chunk):
            row = read(driver, query, {"ids": wanted[start:start + chunk]})[0]
            unknown += int(row["n"])
            some += [str(x) for x in row["some"]]
        if unknown:
            shown = ", ".join(repr(x[:40]) for x in some[:3])
            raise InputError("publish", None, "ids", f"{unknown:,} of the {len(wanted):,} {label} ids are not in "
                             f"the database (e.g. {shown}): publish into the graph the model was fitted on")


def ranked(user_emb: Tensor, item_emb: Tensor, exclude: Tensor | None, k: int,
           top: tuple[Tensor, Tensor] | None = None) -> Iterable[TopK]:
    """Every user's top-``k`` in batches of users: by the vectors (:func:`top_k`), or the first ``k``
    columns of ``top`` (see :func:`recommended_rows`)."""
    if top is None:
        return top_k(user_emb, item_emb, exclude, k)
    return (TopK(start=s, items=top[0][s:s + 1024, :k], scores=top[1][s:s + 1024, :k])
            for s in range(0, top[0].size(0), 1024))


def recommended_rows(user_ids: Sequence[str], item_ids: Sequence[str], user_emb: Tensor, item_emb: Tensor,
                     exclude: Tensor | None, k: int, top: tuple[Tensor, Tensor] | None = None,
                     batches: Iterable[TopK] | None = None) -> Iterator[Row]:
    """``{u, items, s}`` per user with at least one recommendation, best first; ``s`` holds the scores
    as comma-separated decimals (decoded faster by the server than a list of floats).

    ``top`` = ``([U, K] items, [U, K] scores)`` precomputed by an item–item model (first ``k`` columns
    used; ``-1`` items skipped) replaces the dot-product ranking of the vectors. ``batches``: the
    ranking already computed (:func:`ranked`)."""
    for batch in (ranked(user_emb, item_emb, exclude, k, top) if batches is None else batches):
        users = user_ids[batch.start:batch.start + batch.items.size(0)]
        yield from to_rows(users, item_ids, batch.items.tolist(), batch.scores.tolist())


def publish(
    driver: Driver,
    run: RunSpec,
    ids: Mapping[NodeType, Sequence[str]],
    user_emb: Tensor,
    item_emb: Tensor,
    exclude: Tensor | None = None,
    *,
    k: int = 20,
    entity_emb: Tensor | None = None,
    user_type: NodeType = "User",
    item_type: NodeType = "Item",
    entity_type: NodeType = "Entity",
    batch_size: int = 5000,
    workers: int = 2,
    activate_run: bool = True,
    progress: Progress | None = None,
    top: tuple[Tensor, Tensor] | None = None,
    id_keys: Mapping[NodeType, str] | None = None,
    fold: Tensor | None = None,
    interactions: Sequence[str] | None = None,
) -> PublishResult:
    """Write a model's output as a new run and (by default) switch readers to it atomically.

    Order: the ``(:ModelRun)`` node (status ``staging``); the item vectors under the run's own property
    (plus their MIPS-augmented form); the run's vector indexes, created, so that the server populates them
    in the background while the user (and entity) vectors, the top-``k`` ``RECOMMENDED {score, rank, run}``
    per user (excluding ``exclude``; ranked in a thread from the start) and what ``refresh`` needs are
    written; the wait until both indexes are online; status ``ready``; a check that the graph holds what
    was sent (:func:`~graphrec.writeback.runs.check_counts`); then :func:`activate`, which writes only
    ``(:ModelRun)`` nodes. If anything fails, what was written for the run is deleted (its indexes
    dropped, populated or not) and the error re-raised.

    Args:
        driver: an open driver.
        run: the run's model name, hyper-parameters and metrics.
        ids: business ids by tensor index per node type (``RecGraph.ids``).
        user_emb: ``[U, d]`` user embeddings (score = dot product with item embeddings).
        item_emb: ``[I, d]`` item embeddings.
        exclude: ``[2, E]`` (user, item) index pairs never recommended, e.g. every interaction the
            user has in the graph (``torch.cat([g.train, g.valid, g.test], 1)``) (default: none).
        k: recommendations per user (default: 20).
        entity_emb: ``[N, d]`` entity embeddings for ``ids[entity_type]`` (default: none).
        user_type: user label (default: ``"User"``).
        item_type: item label (default: ``"Item"``).
        entity_type: entity label (default: ``"Entity"``).
        batch_size: rows per write transaction (default: 5000).
        workers: concurrent write transactions (default: 2).
        activate_run: switch readers to the run when written (default: ``True``).
        progress: ``progress(stage, done, total)`` callback for progress bars.
        top: ``([U, K] item indices, [U, K] scores)``: exact recommendations of a model whose vectors only
            approximate its scores (``Artefact.top_items``/``top_scores``); ``None`` ranks by the vectors.
        id_keys: id property per node type, from the graph mapping (default: ``id`` for each;
            mapped names must be schema-checked, :func:`graphrec.db.names.check_mapping`). A
            range index ``graphrec_<label>_<key>`` is created on each mapped one first (none when
            the property already has an index).
        fold: ``[I, d]`` item query factors of an item–item model (``Artefact.item_fold``), written under
            the run's ``fold_<key>`` property so ``graphrec refresh`` can fold in new users (default: none).
        interactions: the relationship types the model learnt from (recorded for ``graphrec refresh``;
            default: none recorded, refresh then counts every user→item behaviour).

    Returns:
        A :class:`PublishResult` with the run id, counts and per-stage timings.

    Raises:
        InputError: shapes or values are wrong, or ids are not nodes of the database (checked before
            anything is written).
        DatabaseError: Neo4j failed; nothing of the run is left behind.
        LeaseError: another writer (a load, publish or prune) holds the database; nothing is written.
    """
    validate(ids, user_emb, item_emb, exclude, k, entity_emb, user_type, item_type, entity_type, top, fold)
    if run.fold is not None and run.fold not in FOLD_KINDS:
        raise InputError("publish", None, "fold", f"unknown fold-in {run.fold!r} (one of {', '.join(FOLD_KINDS)})")
    check_known_ids(driver, ids, [user_type, item_type] + ([entity_type] if entity_emb is not None else []),
                    id_keys)
    out = _Output(ids, user_emb, item_emb, exclude, k, entity_emb, top, fold, interactions)
    with lease(driver, WRITER, owner=default_owner(f"graphrec publish {run.model}")):   # one writer at a time
        run_id = run.run_id or new_run_id(run.model)
        key = run_key(run_id)
        layout = WriteLayout(RunNames.for_key(key, fold is not None), user_type, item_type, entity_type,
                             dict(id_keys or {}), batch_size, workers, progress)
        mips, norm = mips_augment(item_emb)
        labels = [user_type, item_type] + ([entity_type] if entity_emb is not None else [])
        ensure_id_indexes(driver, {t: key for t, key in layout.id_keys.items() if t in labels})
        write(driver, load_query("writeback/run_create"), {
            "run": run_id, "key": key, "model": run.model, "params": json.dumps(run.params, default=str),
            "metrics": json.dumps(run.metrics, default=str), "dim": int(user_emb.size(1)), "k": k, "labels": labels,
            "mips_norm": norm, "train_pairs": run.train_pairs, **layout.names.recorded()})
        result = PublishResult(run_id=run_id, active=False)
        t_all = time.perf_counter()
        try:
            _write_run(driver, result, layout, out, mips)
            _write_fold_state(driver, result, layout, out, run.fold)
            _make_ready(driver, result, layout, out, activate_run)
        except BaseException:
            try:
                delete_run(driver, run_id)
            except GraphRecError:
                pass
            raise
        result.seconds["total"] = time.perf_counter() - t_all
        return result


@dataclass
class _Output:
    """What a publish writes: the model's vectors and rankings, and the ids they are indexed by."""

    ids: Mapping[NodeType, Sequence[str]]
    user_emb: Tensor
    item_emb: Tensor
    exclude: Tensor | None
    k: int
    entity_emb: Tensor | None = None
    top: tuple[Tensor, Tensor] | None = None
    fold: Tensor | None = None
    interactions: Sequence[str] | None = None


def _make_ready(driver: Driver, result: PublishResult, layout: WriteLayout, out: _Output, activate_run: bool) -> None:
    """Wait for the run's indexes, mark it ``ready`` with its counts, check them, and activate it if asked."""
    names, run_id = layout.names, result.run_id
    t = time.perf_counter()
    await_index(driver, names.item_index)
    await_index(driver, names.mips_index)
    result.seconds["index"] += time.perf_counter() - t
    write(driver, load_query("writeback/run_ready"), {"run": run_id, "counts": json.dumps(
        {"vectors": result.vectors, "recommended": result.recommended, "users": len(out.ids[layout.user_type]),
         "items": len(out.ids[layout.item_type])})})
    t = time.perf_counter()
    check_counts(driver, get_run(driver, run_id))  # what reached the graph is what was sent
    if activate_run:
        prepare_switch(driver, run_id)  # plans the switch's queries; changes nothing
    result.seconds["verify"] = time.perf_counter() - t
    if activate_run:
        t = time.perf_counter()
        activate(driver, run_id, verify=False)  # just verified, under the writer lease
        result.seconds["activate"] = time.perf_counter() - t
        result.active = True


def _write_run(driver: Driver, result: PublishResult, layout: WriteLayout, out: _Output, mips: Tensor) -> None:
    """Vectors, the run's vector indexes (created, not awaited: see :func:`publish`) and RECOMMENDED.

    Three things overlap, measured faster than one after the other on the amazon-book-sized graph: users
    are ranked in a thread from the start; the server populates the vector indexes in the background from
    when the item vectors are written; RECOMMENDED batches are written as soon as they are ranked."""
    stop = threading.Event()
    ahead: queue.Queue[TopK | BaseException | None] = queue.Queue()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphrec-rank") as pool:
        pool.submit(_rank_into, ahead, stop, out.user_emb, out.item_emb, out.exclude, out.k, out.top)
        try:
            t = time.perf_counter()
            result.vectors = _write_vectors(driver, result, layout, out, mips)
            result.seconds["vectors"] = time.perf_counter() - t - result.seconds["index"]
            t = time.perf_counter()
            _write_recommended(driver, result, layout, out, _drain(ahead))
            result.seconds["recommended"] = time.perf_counter() - t
        finally:
            stop.set()   # the ranking thread stops after its batch when anything above failed


def _write_vectors(driver: Driver, result: PublishResult, layout: WriteLayout, out: _Output, mips: Tensor) -> int:
    """The item vectors (and their MIPS form), the run's two vector indexes created, then the user and entity
    vectors; ``result.seconds["index"]`` is the indexes' creation. Returns the vectors written."""
    names, ids = layout.names, out.ids
    user_ids, item_ids = list(ids[layout.user_type]), list(ids[layout.item_type])
    entities = list(ids[layout.entity_type]) if out.entity_emb is not None else []
    tick = layout.counter("vectors", len(user_ids) + len(item_ids) + len(entities))

    def vectors(label: NodeType, of: list[str], emb: Tensor, extra: Tensor | None = None) -> int:
        return write_vectors(driver, label, of, emb, names.prop, mips=extra,
                             mips_key=names.mips_prop if extra is not None else None, batch_size=layout.batch_size,
                             on_batch=tick, workers=layout.workers, id_key=layout.id_key(label))

    n = vectors(layout.item_type, item_ids, out.item_emb, mips)
    t_index = time.perf_counter()
    create_run_index(driver, names.item_index, layout.item_type, names.prop, int(out.item_emb.size(1)))
    create_run_index(driver, names.mips_index, layout.item_type, names.mips_prop, int(mips.size(1)),
                     m=HNSW_MIPS_M, ef_construction=HNSW_MIPS_EF_CONSTRUCTION)
    result.seconds["index"] = time.perf_counter() - t_index
    n += vectors(layout.user_type, user_ids, out.user_emb)
    if out.entity_emb is not None:
        n += vectors(layout.entity_type, entities, out.entity_emb)
    return n


def _rank_into(out: queue.Queue[TopK | BaseException | None], stop: threading.Event, user_emb: Tensor,
               item_emb: Tensor, exclude: Tensor | None, k: int, top: tuple[Tensor, Tensor] | None) -> None:
    """Put every batch of :func:`ranked` on ``out``, then ``None`` (or the error raised)."""
    try:
        for batch in ranked(user_emb, item_emb, exclude, k, top):
            if stop.is_set():
                return
            out.put(batch)
        out.put(None)
    except BaseException as e:  # re-raised by _drain in the publishing thread
        out.put(e)


def _drain(ahead: queue.Queue[TopK | BaseException | None]) -> Iterator[TopK]:
    while (got := ahead.get()) is not None:
        if isinstance(got, BaseException):
            raise got
        yield got


def _write_recommended(driver: Driver, result: PublishResult, layout: WriteLayout, out: _Output,
                       batches: Iterable[TopK]) -> None:
    user_ids, item_ids = list(out.ids[layout.user_type]), list(out.ids[layout.item_type])
    query = render("writeback/write_recommended", src=layout.user_type, dst=layout.item_type,
                   src_id=layout.id_key(layout.user_type), dst_id=layout.id_key(layout.item_type))
    per_user = min(out.k, len(item_ids))
    tick = layout.counter("recommended", len(user_ids) * per_user, per_row=per_user)
    counted = [0]

    def rows() -> Iterator[Row]:
        for row in recommended_rows(user_ids, item_ids, out.user_emb, out.item_emb, out.exclude, out.k, out.top,
                                    batches):
            counted[0] += len(row["items"])
            yield row

    # batch_size relationships per transaction (10k-20k measured slower per relationship on the
    # amazon-book-sized graph than 5k), their items looked up once per batch (item_positions)
    rec_batch = max(1, layout.batch_size // max(1, per_user))
    write_batches(driver, query, rows(), rec_batch, {"run": result.run_id}, tick, workers=layout.workers,
                  prepare=item_positions)
    result.recommended = counted[0]


def _write_fold_state(driver: Driver, result: PublishResult, layout: WriteLayout, out: _Output,
                      fold: str | None) -> None:
    """What ``graphrec refresh`` needs later: per user the number of distinct items the run learnt them
    from (``seen_<key>``), the item query factors of an item–item model (``fold_<key>``), and on the run
    how users are folded in and from which relationship types."""
    t = time.perf_counter()
    names = layout.names
    user_ids, item_ids = list(out.ids[layout.user_type]), list(out.ids[layout.item_type])
    kind = "sum" if out.fold is not None else ("ridge" if fold in (None, "sum") else fold)
    write(driver, load_query("writeback/run_fold_state"), {
        "run": result.run_id, "fold": kind, "fold_prop": names.fold_prop, "seen_prop": names.seen_prop,
        "interactions": list(out.interactions) if out.interactions else None})
    exclude = out.exclude
    pairs = exclude if exclude is not None and exclude.numel() else torch.empty(2, 0, dtype=torch.long)
    counts = torch.bincount(pairs[0].long().cpu(), minlength=len(user_ids)).tolist() if pairs.numel() \
        else [0] * len(user_ids)
    rows = ({"id": u, "n": int(n)} for u, n in zip(user_ids, counts, strict=True))
    write_batches(driver, render("writeback/write_seen", label=layout.user_type, id=layout.id_key(layout.user_type)),
                  rows, layout.batch_size, {"key": names.seen_prop}, workers=layout.workers)
    if out.fold is not None and names.fold_prop:
        write_vectors(driver, layout.item_type, item_ids, out.fold, names.fold_prop, batch_size=layout.batch_size,
                      workers=layout.workers, id_key=layout.id_key(layout.item_type))
    result.seconds["fold_state"] = time.perf_counter() - t


def _checked_labels(driver: Driver, labels: Iterable[str]) -> dict[str, str]:
    """Each of ``labels`` as a name that may be pasted: graphrec's own as they are, any other (a graph
    mapping's, read back from a saved artefact) only if the database has it (a schema-checked name).

    Raises:
        InputError: a label the database does not have.
    """
    wanted = list(dict.fromkeys(labels))
    out = {name: name for name in wanted if is_allowed(name)}
    others = [name for name in wanted if name not in out]
    if others:
        out.update({str(name): name for name in schema_names(driver, others)})
        missing = [name for name in others if name not in out]
        if missing:
            raise InputError("publish", None, "label", f"the artefact's node label(s) {', '.join(map(repr, missing))} "
                             f"are not labels in the database; publish it into the graph it was fitted on")
    return out


PUBLISH_BATCH_SIZE = 5000
"""Rows per publish transaction, and the most a larger ``batch_size`` setting is capped to (10k-20k measured
slower per RECOMMENDED relationship than 5k on the amazon-book-sized graph)."""


def check_artefact_mapping(artefact: Artefact, mapping: GraphMapping) -> None:
    """The one check that an artefact is published with the mapping it was fitted with (its user and item labels
    are the mapping's).

    Raises:
        ConfigError: they differ.
    """
    if (artefact.user_type, artefact.item_type) != (mapping.user.label, mapping.item.label):
        raise ConfigError(f"the artefact's users and items are {artefact.user_type}/{artefact.item_type}, the "
                          f"[graph] mapping's ({mapping.source}) {mapping.user.label}/{mapping.item.label}: "
                          f"publish it with the mapping it was fitted with")


def publish_artefact(driver: Driver, artefact: Artefact, *, k: int = 20, activate_run: bool = True,
                     batch_size: int = PUBLISH_BATCH_SIZE, workers: int = 2, progress: Progress | None = None,
                     run_id: str | None = None, id_keys: Mapping[NodeType, str] | None = None,
                     mapping: GraphMapping | None = None) -> PublishResult:
    """Publish a fitted :class:`~graphrec.artefact.Artefact` whole: :func:`publish` with its vectors, its exact
    top-K when it has one, its exclusion pairs, params, metrics and ``train_pairs``.

    The artefact's node labels (its user, item and entity types; a graph mapping's for a mapped graph)
    are checked against the database schema again before they are pasted into any query, as a saved
    artefact is only a file.

    Args:
        id_keys: id property per node type, from the graph mapping (default: ``id`` for each, or the
            ``mapping``'s; mapped names must be schema-checked, :func:`graphrec.db.names.check_mapping`).
        mapping: the schema-checked graph mapping: the artefact must have been fitted with it
            (:func:`check_artefact_mapping`), and its id properties are the ``id_keys`` (default: none given).

    Raises:
        ConfigError: the artefact was fitted with another mapping's users and items than ``mapping``.
        InputError: the artefact's types, shapes or values are wrong (:meth:`Artefact.check`), one of its
            labels or ids is not in the database (checked before anything is written), or ``k`` exceeds
            the top-K it kept.
        DatabaseError: Neo4j failed; nothing of the run is left behind.
    """
    if mapping is not None:   # first, as Session.publish and graphrec train always checked it
        check_artefact_mapping(artefact, mapping)
        id_keys = id_keys or {n.label: n.id for n in mapping.nodes}
    artefact.check()
    top = None
    if artefact.top_items is not None and artefact.top_scores is not None:
        if k > artefact.top_items.size(1) and artefact.top_items.size(1) < len(artefact.ids[artefact.item_type]):
            raise InputError("publish", None, "k", f"the artefact kept the top {artefact.top_items.size(1)} "
                             f"items per user; refit with a larger top_k to publish {k}")
        top = (artefact.top_items, artefact.top_scores)
    entity = next(iter(artefact.entity_emb), "Entity")
    checked = _checked_labels(driver, [artefact.user_type, artefact.item_type]
                              + ([entity] if artefact.entity_emb else []))
    spec = RunSpec(model=artefact.model, params=artefact.params, run_id=run_id, train_pairs=artefact.train_pairs,
                   metrics={"test": artefact.metrics.get("test", {}), "valid": artefact.metrics.get("valid", {})},
                   fold=artefact.info.get("fold"))
    return publish(driver, spec, artefact.ids, artefact.user_emb, artefact.item_emb, artefact.exclude, k=k,
                   entity_emb=artefact.entity_emb.get(entity), user_type=checked[artefact.user_type],
                   item_type=checked[artefact.item_type], entity_type=checked.get(entity, entity),
                   batch_size=batch_size, workers=workers, activate_run=activate_run, progress=progress, top=top,
                   id_keys=id_keys, fold=artefact.item_fold, interactions=artefact.info.get("behaviours"))
