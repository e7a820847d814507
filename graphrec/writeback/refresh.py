"""``graphrec refresh``: bring the active run up to date with the graph without retraining.

What changed since the run was published is read from the graph itself: publish records, per user, how
many distinct items the run saw them with (``seen_<key>``), so a user whose count differs now, or who has
none recorded (a new user), is *changed*. Users with no interactions are left alone (they keep the
cold-start path). Items without a vector of the run are *new*. The scan costs a degree lookup per user:
only users whose number of relationships of the run's types differs from ``seen_<key>`` have their
distinct items counted (``cypher/refresh/changed_users``), so a user with exactly as many relationships
as the run saw items is taken as unchanged.

How a changed user's vector is solved depends on the model, as recorded on the run at publish (``fold``):

- ``sum`` — item–item models (``graph``, ``ease``): the published vectors are a rank-``d`` factorisation
  ``M ≈ L Rᵀ`` of the item–item operator and a user's vector is ``x_u L`` (``Artefact.item_fold``, stored
  as ``fold_<key>`` on the items), so a new user's vector is the sum of the ``L`` rows of their items:
  exactly what the run would have given them, had it seen them.
- ``als`` — ALS's own user solve with the run's regularisation and alpha (Hu et al. 2008):
  ``u = (VᵀV + λI + (α−1)V_sᵀV_s)⁻¹ α V_sᵀ1`` over the user's items ``s``, what ``implicit`` computes.
- ``ridge`` — any other factor model (LightGCN, hetero, popularity): the least-squares user vector for
  the fixed item vectors, ``u = (VᵀV + λI)⁻¹ Vᵀx_u``. For LightGCN it was measured against one propagation
  step from the item vectors, ``Σ e_i / √(d_u d_i)``: 97.6 % against 81.7 % of a full retrain's Recall@20 for
  MovieLens-100k's held-out new users (``benchmarks.refresh_bench --model lightgcn``, BENCHMARKS.md).

A new item's vector is the weighted mean of the run vectors of its neighbours: items sharing KG entities
with it (weight: entities shared) and, when it has a ``text_embedding`` and there is a text vector index,
its nearest items by text (weight: cosine); the two means are averaged. An item with neither keeps no
vector (``similar_items`` falls back to its text). A mean of vectors never exceeds the longest of them,
so the MIPS norm ``M`` of the run still holds and the realtime query ranks new items correctly.

Changed users get fresh ``RECOMMENDED`` relationships (top-``k`` of the run, unseen only, over every
item with a vector, new ones included), replaced in one transaction per batch; other users' lists are
not touched (new items reach them through ``recommend_realtime``). Everything is written under the run's
own properties and id, under the writer lease; the run's counts are updated so it can still be
re-activated later.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from neo4j import Driver
from torch import Tensor

from graphrec.artefact_check import check_top, check_vectors
from graphrec.db import load_query, read, render, write, write_batches
from graphrec.db.lease import WRITER, default_owner, lease
from graphrec.db.names import mapping_names, read_schema, schema_names
from graphrec.db.queries import placeholders
from graphrec.db.recorded import recorded_min_weights
from graphrec.db.vectors import text_index
from graphrec.errors import ConfigError, GraphRecError, InputError
from graphrec.mapping import GraphMapping
from graphrec.ranking import top_unseen
from graphrec.types import Row
from graphrec.writeback.layout import Progress, RunNames, WriteLayout
from graphrec.writeback.recommended import item_positions, to_rows
from graphrec.writeback.runs import FOLD_KINDS, RunInfo, _run_labels, active_run
from graphrec.writeback.vectors import mips_augment, write_vectors

NEIGHBOURS = 50
"""Neighbours a new item's vector is averaged from, per route (entities, text) (default)."""
RIDGE = 0.1
"""λ of the ``ridge`` fold-in as a multiple of the mean eigenvalue of ``VᵀV`` (default)."""


@dataclass
class RefreshResult:
    """What :func:`refresh` did.

    Attributes:
        run_id: the run that was refreshed (the active one).
        users: changed users whose vectors and RECOMMENDED lists were rewritten.
        users_without_items: changed users none of whose items has a vector of the run (left to cold start).
        items: new items that got a vector.
        items_without_neighbours: new items with no entity or text neighbour (no vector written).
        recommended: RECOMMENDED relationships written for the changed users.
        seconds: wall time per stage (``scan``, ``items``, ``users``, ``counts``, ``total``).
    """

    run_id: str
    users: int = 0
    users_without_items: int = 0
    items: int = 0
    items_without_neighbours: int = 0
    recommended: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "users": self.users, "users_without_items": self.users_without_items,
                "items": self.items,
                "items_without_neighbours": self.items_without_neighbours, "recommended": self.recommended,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


def fold_users(kind: str, item_emb: Tensor, items: Sequence[Sequence[int]], fold: Tensor | None = None,
               params: dict[str, Any] | None = None) -> Tensor:
    """User vectors ``[len(items), d]`` for users who have the given item indices (see the module docstring).

    Args:
        kind: ``sum``, ``als`` or ``ridge``.
        item_emb: ``[I, d]`` the run's item vectors.
        items: per user, the indices of their positive items.
        fold: ``[I, d]`` item query factors (``sum`` only).
        params: the run's chosen hyper-parameters (``als``: ``regularization``, ``alpha``).

    Raises:
        ValueError: unknown ``kind``, or ``sum`` without ``fold``.
    """
    d = item_emb.size(1)
    v = item_emb.double()
    # x, the [users, items] 0/1 matrix of the users' items, is never made dense (1,000 users of a 25,000-item
    # catalogue: 200 MB): x @ m is a sum of m's rows per user
    sets = [sorted(set(idx)) for idx in items]
    rows = torch.repeat_interleave(torch.arange(len(sets)), torch.tensor([len(x) for x in sets], dtype=torch.long))
    cols = torch.tensor([i for x in sets for i in x], dtype=torch.long)

    def x_times(m: Tensor) -> Tensor:
        return torch.zeros(len(sets), m.size(1), dtype=torch.float64).index_add_(0, rows, m[cols].double())

    if kind == "sum":
        if fold is None:
            raise ValueError("the 'sum' fold-in needs the item query factors")
        return x_times(fold).float()
    gram = v.T @ v
    eye = torch.eye(d, dtype=torch.float64)
    if kind == "als":
        p = params or {}
        reg, alpha = float(p.get("regularization", 0.05)), float(p.get("alpha", 1.0))
        # implicit's solve with confidence alpha on every positive: A = VᵀV + λI + (α−1)·V_sᵀV_s, b = α·V_sᵀ1
        a = (gram + reg * eye).expand(len(sets), d, d).clone()
        for row, idx in enumerate(sets):
            if idx:
                vs = v[idx]
                a[row] += (alpha - 1.0) * (vs.T @ vs)
        b = alpha * x_times(v)
        out: Tensor = torch.linalg.solve(a, b.unsqueeze(-1)).squeeze(-1).float()
        return out
    if kind == "ridge":
        lam = RIDGE * float(torch.trace(gram)) / max(d, 1)
        solved: Tensor = torch.linalg.solve(gram + max(lam, 1e-9) * eye, x_times(v).T).T.float()
        return solved
    raise ValueError(f"unknown fold-in {kind!r} ({', '.join(FOLD_KINDS)})")


def neighbour_mean(near: Sequence[Sequence[tuple[int, float]]], emb: Tensor) -> Tensor | None:
    """The mean over routes of the weighted mean of ``emb`` rows of each route's ``(index, weight)``
    neighbours; ``None`` when no route has a neighbour of positive weight."""
    parts = []
    for route in near:
        pairs = [(i, w) for i, w in route if w > 0]
        if pairs:
            idx = torch.tensor([i for i, _ in pairs], dtype=torch.long)
            w = torch.tensor([w for _, w in pairs], dtype=torch.float32)
            parts.append((emb[idx] * w[:, None]).sum(0) / w.sum())
    return torch.stack(parts).mean(0) if parts else None


@dataclass
class _Run:
    info: RunInfo
    prop: str
    mips_prop: str
    mips_norm: float
    fold: str
    fold_prop: str | None
    seen_prop: str
    types: list[str] | None
    k: int
    params: dict[str, Any]


def _active(driver: Driver) -> _Run:
    run = active_run(driver)
    if run is None:
        raise GraphRecError("no active model run to refresh: train and publish one first (`graphrec train`)")
    p = run.props
    if not p.get("seen_prop") or not p.get("fold"):
        raise GraphRecError(f"the active run {run.id!r} was published before refresh was supported (it records no "
                            f"per-user counts): publish it again (`graphrec train`) to refresh it later")
    if p.get("fold") == "sum" and not p.get("fold_prop"):
        raise GraphRecError(f"the active run {run.id!r} records no item query factors; publish it again")
    chosen = run.params.get("chosen") if isinstance(run.params.get("chosen"), dict) else {}
    return _Run(info=run, prop=str(p["prop"]), mips_prop=str(p["mips_prop"]), mips_norm=float(p["mips_norm"] or 1.0),
                fold=str(p["fold"]), fold_prop=str(p["fold_prop"]) if p.get("fold_prop") else None,
                seen_prop=str(p["seen_prop"]), types=[str(t) for t in p["interactions"]] if p.get("interactions")
                else None, k=int(run.k or 20), params=dict(chosen or {}))


def _render(name: str, mapping: GraphMapping, types: Sequence[str] = ()) -> str:
    wanted = placeholders(load_query(f"refresh/{name}"))
    names = {k: v for k, v in mapping_names(mapping).items() if k in wanted}
    return render(f"refresh/{name}", **names, **({"types": types} if "types" in wanted else {}))


def _interaction_types(driver: Driver, run: _Run) -> list[str]:
    """The relationship types a user's interactions are, as names that may be pasted: the run's (those the
    database has), or, when the run records none, every type in the database but ``RECOMMENDED``."""
    if run.types is not None:
        return list(schema_names(driver, run.types, kind="type"))
    return [t for t in schema_names(driver, sorted(read_schema(driver).types), kind="type") if t != "RECOMMENDED"]


class _Factors:
    """The run's item query factors (``fold_<key>``) as an ``[I, d]`` tensor whose rows are read from the
    graph only when first asked for (:meth:`rows`): a refresh needs those of the changed users' items and
    of new items' neighbours, not the catalogue's."""

    def __init__(self, driver: Driver, mapping: GraphMapping, prop: str, item_ids: list[str], d: int) -> None:
        self._driver, self._prop, self._ids = driver, prop, item_ids
        self._query = _render("item_factors", mapping)
        self.all = torch.zeros(len(item_ids), d)
        self._have: set[int] = set()

    def rows(self, wanted: Iterable[int]) -> Tensor:
        """The factors with (at least) the rows ``wanted`` read; the others are zero."""
        need = sorted(set(wanted) - self._have)
        d = self.all.size(1)
        for start in range(0, len(need), 5000):
            chunk = need[start:start + 5000]
            got = {str(r["id"]): r["f"] for r in read(self._driver, self._query,
                                                      {"ids": [self._ids[i] for i in chunk], "fold_prop": self._prop})}
            self.all[chunk] = torch.tensor([_vec(got.get(self._ids[i]), d) for i in chunk], dtype=torch.float32)
            self._have.update(chunk)
        return self.all

    def extend(self, new: Tensor) -> None:
        """Rows of new items, known without reading (their ids were appended to the id list)."""
        self._have.update(range(self.all.size(0), self.all.size(0) + new.size(0)))
        self.all = torch.cat([self.all, new])


def _vec(v: Any, d: int) -> list[float]:
    out = [float(z) for z in v] if v is not None else []
    return out if len(out) == d else [0.0] * d


REFRESH_BATCH_SIZE = 1000
"""Users solved and written per refresh transaction, and the most a larger ``batch_size`` setting is capped to
(:class:`graphrec.Session`)."""


def refresh(driver: Driver, mapping: GraphMapping | None = None, *, batch_size: int = REFRESH_BATCH_SIZE,
            workers: int = 2, progress: Progress | None = None, neighbours: int = NEIGHBOURS) -> RefreshResult:
    """Fold the users and items that changed since the active run was published into it (module docstring).

    Args:
        driver: an open driver.
        mapping: the graph mapping, schema-checked (default: graphrec's own labels).
        batch_size: users solved and written per transaction (default: 1000).
        workers: concurrent write transactions (default: 2).
        progress: ``progress(stage, done, total)`` callback for progress bars.
        neighbours: neighbours per route a new item's vector is averaged from (default: 50).

    Returns:
        What was refreshed, with per-stage timings.

    Raises:
        InputError: ``batch_size`` or ``neighbours`` below 1.
        ConfigError: the mapping's user/item labels are not the run's.
        GraphRecError: no active run, or one published without what refresh needs.
        LeaseError: another graphrec writer holds the database.
    """
    from graphrec.mapping import DEFAULT_MAPPING

    if batch_size < 1:
        raise InputError("refresh", None, "batch_size", f"must be >= 1, got {batch_size}")
    if neighbours < 1:
        raise InputError("refresh", None, "neighbours", f"must be >= 1, got {neighbours}")
    mapping = mapping or DEFAULT_MAPPING
    t_all = time.perf_counter()
    with lease(driver, WRITER, owner=default_owner("graphrec refresh")) as held:
        run = _active(driver)
        labels = _run_labels(driver, run.info)
        if labels[:2] != [mapping.user.label, mapping.item.label]:
            raise ConfigError(f"the active run {run.info.id!r} holds {'/'.join(labels[:2])} vectors but the mapping's "
                              f"users and items are {mapping.user.label}/{mapping.item.label}")
        result = RefreshResult(run_id=run.info.id)

        # 1. what changed (degrees first: see cypher/refresh/changed_users), then what the run has: every
        #    item vector (every one is ranked); query factors are read later, for the items that need them
        t = time.perf_counter()
        types = _interaction_types(driver, run)
        changed = [(str(r["id"]), int(r["n"])) for r in read(driver, _render("changed_users", mapping, types), {
            "seen_prop": run.seen_prop, "types": run.types})] if types else []
        new_items = [str(r["id"]) for r in read(driver, _render("new_items", mapping), {"prop": run.prop})]
        rows = read(driver, _render("item_vectors", mapping), {"prop": run.prop}) if changed or new_items else []
        d = int(run.info.dim or (len(rows[0]["v"]) if rows else 0))
        item_ids = [str(r["id"]) for r in rows]
        item_emb = torch.tensor([_vec(r["v"], d) for r in rows], dtype=torch.float32).reshape(-1, d)
        if rows:   # the run's own vectors, as the graph holds them now: nothing is solved from a broken one
            check_vectors(f"item vectors of run {run.info.id}", item_emb, len(item_ids), d, "refresh")
        items = _Catalogue(item_ids, item_emb, _Factors(driver, mapping, run.fold_prop, item_ids, d)
                           if run.fold_prop else None)
        layout = WriteLayout(RunNames(run.prop, run.mips_prop, seen_prop=run.seen_prop, fold_prop=run.fold_prop),
                             mapping.user.label, mapping.item.label,
                             id_keys={mapping.user.label: mapping.user.id, mapping.item.label: mapping.item.id},
                             batch_size=batch_size, workers=workers, progress=progress)
        result.seconds["scan"] = time.perf_counter() - t

        # 2. new items: the weighted mean of their entity and text neighbours' vectors
        t = time.perf_counter()
        if new_items:
            _new_items(driver, mapping, run, result, layout, items, new_items, neighbours)
            held.check()
        result.seconds["items"] = time.perf_counter() - t

        # 3. changed users: solve their vectors, rank every item with a vector, replace their RECOMMENDED
        t = time.perf_counter()
        if changed:
            _users(driver, mapping, run, result, layout, items, changed, held.check)
        result.seconds["users"] = time.perf_counter() - t

        # 4. the run's counts, checked again when it is (re-)activated
        t = time.perf_counter()
        if changed or result.items:
            _recount(driver, run, labels)
        result.seconds["counts"] = time.perf_counter() - t
    result.seconds["total"] = time.perf_counter() - t_all
    return result


@dataclass
class _Catalogue:
    """The run's items that have a vector, as refresh grows them: ids, vectors, query factors (read lazily)."""

    ids: list[str]
    emb: Tensor
    fold: _Factors | None


def _new_items(driver: Driver, mapping: GraphMapping, run: _Run, result: RefreshResult, layout: WriteLayout,
               items: _Catalogue, new_items: list[str], neighbours: int) -> None:
    """Vectors for ``new_items`` (the weighted mean of their neighbours'), written and added to ``items``."""
    near = _item_neighbours(driver, mapping, run, items.ids, new_items, neighbours, layout.batch_size)
    got_ids, new_v, new_f = _mean_vectors(run, result, items, new_items, near)
    if new_v is None:
        return
    _write_items(driver, run, layout, got_ids, new_v, new_f)
    if items.fold is not None and new_f is not None:
        items.fold.extend(new_f)
    result.items = len(got_ids)
    items.ids.extend(got_ids)
    items.emb = torch.cat([items.emb, new_v])


def _item_neighbours(driver: Driver, mapping: GraphMapping, run: _Run, item_ids: list[str], new_items: list[str],
                     neighbours: int, batch_size: int) -> dict[str, list[list[tuple[int, float]]]]:
    """Per new item, its routes (shared KG entities; text, when the item label has a text vector index): the
    positions in ``item_ids`` of up to ``neighbours`` neighbours with a vector of the run, and their weights."""
    index = {x: i for i, x in enumerate(item_ids)}
    by_text = text_index(driver, mapping.item.label)
    near: dict[str, list[list[tuple[int, float]]]] = {x: [] for x in new_items}
    for start in range(0, len(new_items), batch_size):
        ids = new_items[start:start + batch_size]
        queries: list[tuple[str, dict[str, Any]]] = [("entity_neighbours", {})]
        if by_text:
            queries.append(("text_neighbours", {"text_index": by_text}))
        for name, extra in queries:
            for r in read(driver, _render(name, mapping), {"ids": ids, "prop": run.prop, "limit": neighbours, **extra}):
                near[str(r["id"])].append([(index[str(n["id"])], float(n["w"])) for n in r["near"]
                                           if str(n["id"]) in index])
    return near


def _mean_vectors(run: _Run, result: RefreshResult, items: _Catalogue, new_items: list[str],
                  near: Mapping[str, list[list[tuple[int, float]]]]
                  ) -> tuple[list[str], Tensor | None, Tensor | None]:
    """The new items that have neighbours, their vectors (no longer than the run's MIPS norm) and, for an
    item–item run, their query factors; ``None`` vectors when no new item has a neighbour."""
    fold = items.fold
    got_ids, got_v, got_f = [], [], []
    factors = fold.rows(i for x in new_items for route in near[x] for i, _ in route) if fold is not None else None
    for x in new_items:
        v = neighbour_mean(near[x], items.emb)
        if v is None:
            result.items_without_neighbours += 1
            continue
        norm = float(v.norm())
        if norm > run.mips_norm > 0:   # a mean never exceeds the longest vector; guard rounding
            v = v * (run.mips_norm / norm)
        got_ids.append(x)
        got_v.append(v)
        if factors is not None:
            f = neighbour_mean(near[x], factors)
            got_f.append(f if f is not None else torch.zeros_like(v))
    if not got_ids:
        return got_ids, None, None
    return got_ids, torch.stack(got_v), torch.stack(got_f) if factors is not None else None


def _write_items(driver: Driver, run: _Run, layout: WriteLayout, ids: list[str], new_v: Tensor,
                 new_f: Tensor | None) -> None:
    """The new items' vectors (and their MIPS form, padded to the run's norm) and query factors, checked first."""
    label, key, d = layout.item_type, layout.id_key(layout.item_type), int(new_v.size(1))
    mips, _ = mips_augment(new_v, run.mips_norm)
    check_vectors("new item vectors", new_v, len(ids), d, "refresh")
    write_vectors(driver, label, ids, new_v, run.prop, mips=mips, mips_key=run.mips_prop, batch_size=5000,
                  workers=layout.workers, id_key=key, on_batch=layout.counter("items", len(ids)))
    if new_f is not None and run.fold_prop:
        check_vectors("new item query factors", new_f, len(ids), d, "refresh")
        write_vectors(driver, label, ids, new_f, run.fold_prop, batch_size=5000, workers=layout.workers, id_key=key)


def _positive(item: Row, min_weights: Mapping[str, float]) -> bool:
    least = min_weights.get(item["t"])
    if least is None:
        return True
    w = item.get("w")
    return isinstance(w, int | float) and not math.isnan(float(w)) and float(w) >= least


def _weights(driver: Driver, mapping: GraphMapping) -> tuple[dict[str, str], dict[str, float]]:
    """Weight property and least positive weight per behaviour: the mapping's, then those a CSV
    mapping recorded at load time (as training reads them, :func:`graphrec.loaders.discover_spec`)."""
    keys: dict[str, str] = {b.type: b.weight for b in mapping.behaviours if b.weight}
    mins = {b.type: b.min_weight for b in mapping.behaviours if b.min_weight is not None}
    for rtype, value in recorded_min_weights(driver).items():
        if rtype not in mins:
            mins[rtype] = value
            keys.setdefault(rtype, "weight")
    return keys, mins


def _users(driver: Driver, mapping: GraphMapping, run: _Run, result: RefreshResult, layout: WriteLayout,
           items: _Catalogue, changed: list[tuple[str, int]], check: Callable[[], None]) -> None:
    """Solve the changed users' vectors from their items, rank every item with a vector, and replace their
    RECOMMENDED and ``seen_<key>`` counts, a batch of users at a time."""
    item_ids, item_emb, fold = items.ids, items.emb, items.fold
    batch_size, workers = layout.batch_size, layout.workers
    index = {x: i for i, x in enumerate(item_ids)}
    weight_keys, min_weights = _weights(driver, mapping)
    items_q = _render("user_items", mapping)
    replace_q = _render("replace_recommended", mapping)
    seen_q = render("writeback/write_seen", label=mapping.user.label, id=mapping.user.id)
    k = min(run.k, len(item_ids))
    items_t = item_emb.float().T.contiguous()
    done = 0
    for start in range(0, len(changed), batch_size):
        batch = changed[start:start + batch_size]
        ids = [u for u, _ in batch]
        have: dict[str, list[Row]] = {str(r["id"]): list(r["items"]) for r in read(
            driver, items_q, {"ids": ids, "types": run.types, "weight_keys": weight_keys})}
        pos = [sorted({index[it["i"]] for it in have.get(u, []) if it["i"] in index and _positive(it, min_weights)})
               for u in ids]
        seen = [sorted({index[it["i"]] for it in have.get(u, []) if it["i"] in index}) for u in ids]
        # a user none of whose positives has a vector (only new items without neighbours) gets no vector:
        # they stay on the cold-start path; their count is recorded, so they are not picked again
        solvable = [n for n, p in enumerate(pos) if p]
        ids_all = ids
        ids, pos, seen = [ids[n] for n in solvable], [pos[n] for n in solvable], [seen[n] for n in solvable]
        if not ids:
            write_batches(driver, seen_q, [{"id": u, "n": n} for u, n in batch], batch_size,
                          {"key": run.seen_prop}, workers=workers)
            result.users_without_items += len(ids_all)
            done += len(ids_all)
            continue
        factors = fold.rows(i for p in pos for i in p) if fold is not None else None
        user_emb = fold_users(run.fold, item_emb, pos, factors, run.params)
        rows_m = torch.repeat_interleave(torch.arange(len(ids)), torch.tensor([len(s) for s in seen], dtype=torch.long))
        cols_m = torch.tensor([i for s in seen for i in s], dtype=torch.long)
        top_i, top_s = top_unseen(user_emb @ items_t, rows_m, cols_m, k)
        _check_users(user_emb, top_i, top_s, len(item_ids))
        recs = list(to_rows(ids, item_ids, top_i.tolist(), top_s.tolist()))
        result.recommended += sum(len(r["items"]) for r in recs)
        check()
        write_vectors(driver, mapping.user.label, ids, user_emb, run.prop, batch_size=batch_size, workers=workers,
                      id_key=mapping.user.id)
        write_batches(driver, replace_q, recs, max(1, 5000 // max(k, 1)), {"run": run.info.id}, workers=workers,
                      prepare=item_positions)
        write_batches(driver, seen_q, [{"id": u, "n": n} for u, n in batch], batch_size,
                      {"key": run.seen_prop}, workers=workers)
        result.users += len(ids)
        result.users_without_items += len(ids_all) - len(ids)
        done += len(ids_all)
        if layout.progress:
            layout.progress("users", done, len(changed))


def _check_users(user_emb: Tensor, top_i: Tensor, top_s: Tensor, items: int) -> None:
    """What is about to be written for a batch of changed users is what publish would accept."""
    check_vectors("user vectors", user_emb, user_emb.size(0), user_emb.size(1), "refresh")
    if top_i.size(1):
        check_top(top_i, top_s, user_emb.size(0), items, "refresh")


def _recount(driver: Driver, run: _Run, labels: list[str]) -> None:
    counts = dict(run.info.counts)
    counts["recommended"] = int(read(driver, load_query("writeback/run_recommended_count"),
                                     {"run": run.info.id})[0]["n"])
    counts["vectors"] = sum(int(read(driver, render("writeback/run_vector_count", label=label),
                                     {"prop": run.prop})[0]["n"]) for label in labels)
    write(driver, load_query("refresh/run_refreshed"), {"run": run.info.id, "counts": json.dumps(counts)})
