"""FastRP embeddings of the training graph, computed by GDS and aligned with a RecGraph's id maps.

The projection holds exactly the graph's training interactions (sent as index pairs, so a seeded
split is honoured as well as a stored one) plus its KG/social relationship types, undirected. The
projected graph is dropped afterwards, whatever happens. Scores are ``user_emb @ item_emb.T``, so
any evaluation code that scores embedding pairs scores this baseline too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from neo4j import Driver
from torch import Tensor

from graphrec.db import load_query, read, render, write
from graphrec.errors import DatabaseError
from graphrec.types import EdgeType, IdMap, NodeType

PROPERTY = "fastrp"


class InteractionGraph(Protocol):
    """What :func:`gds_embeddings` needs of a graph (``graphrec.loaders.types.RecGraph`` fits)."""

    @property
    def ids(self) -> dict[NodeType, IdMap]: ...
    @property
    def train(self) -> Tensor: ...
    @property
    def user_type(self) -> NodeType: ...
    @property
    def item_type(self) -> NodeType: ...
    @property
    def kg_edge_types(self) -> list[EdgeType]: ...


@dataclass
class FastRPStats:
    """Sizes and timings of one FastRP run.

    Attributes:
        nodes: nodes in the projection.
        relationships: relationships in the projection (each undirected one counted twice).
        project_seconds: time to project.
        compute_seconds: time to run FastRP.
        stream_seconds: time to read embeddings back.
    """

    nodes: int = 0
    relationships: int = 0
    project_seconds: float = 0.0
    compute_seconds: float = 0.0
    stream_seconds: float = 0.0


def _gds_error(e: DatabaseError) -> DatabaseError:
    msg = str(e)
    if "gds." in msg and ("no procedure" in msg.lower() or "unknown function" in msg.lower()
                          or "ProcedureNotFound" in msg):
        return DatabaseError("the Graph Data Science plugin (OpenGDS) is not installed on this Neo4j "
                             "(the local server from `graphrec db start` has it)")
    return e


def _aligned(rows: list[list[Any]], ids: IdMap, dim: int) -> Tensor:
    out = torch.zeros(len(ids), dim, dtype=torch.float32)
    if not rows:
        return out
    index = {b: i for i, b in enumerate(ids)}
    pos = [index.get(r[0], -1) for r in rows]
    keep = [k for k, p in enumerate(pos) if p >= 0]   # nodes outside the graph's id map are ignored
    vectors = torch.tensor([rows[k][1] for k in keep], dtype=torch.float32).reshape(len(keep), dim)
    out[torch.tensor([pos[k] for k in keep], dtype=torch.long)] = vectors
    return out


def gds_embeddings(
    driver: Driver,
    graph: InteractionGraph,
    dim: int = 64,
    kg: bool = True,
    seed: int = 42,
    iteration_weights: Sequence[float] = (0.0, 1.0, 1.0),
    normalization_strength: float = -0.5,
    concurrency: int = 4,
    stats: FastRPStats | None = None,
    id_keys: Mapping[str, str] | None = None,
) -> tuple[Tensor, Tensor]:
    """FastRP user and item embeddings from GDS, rows aligned with ``graph.ids``.

    Args:
        driver: an open driver to the database the graph was loaded from.
        graph: the loaded graph; only ``graph.train`` interactions are projected.
        dim: embedding width (default: 64).
        kg: also project the graph's KG and social relationship types (default: ``True``).
        seed: FastRP random seed (default: 42).
        iteration_weights: weights of the 0..k-hop propagations (default: ``(0, 1, 1)``: a node is
            described by its 1- and 2-hop neighbourhood, so a user lands near the items their
            co-raters rated).
        normalization_strength: degree normalisation, negative to damp popular nodes (default: -0.5;
            on ml-100k u1 this beat 0 and 3-hop weights, see BENCHMARKS.md).
        concurrency: GDS threads (default: 4, the Community edition's limit).
        stats: filled with sizes and timings when given.
        id_keys: id property per label, from the graph mapping (default: ``id``; mapped names must be
            schema-checked).

    Returns:
        ``(user_emb [num_users, dim], item_emb [num_items, dim])`` float32 on the CPU; nodes without
        any training relationship get a zero row.

    Raises:
        DatabaseError: GDS missing or failing.
        ValueError: ``dim`` < 1.
    """
    if dim < 1:
        raise ValueError(f"dim must be >= 1, got {dim}")
    st = stats if stats is not None else FastRPStats()
    user_t, item_t = graph.user_type, graph.item_type
    # user→item side behaviours are left out: read from the database they would include held-out pairs
    kg_types = sorted({et[1] for et in graph.kg_edge_types
                       if not et[1].startswith("rev_") and (et[0], et[2]) != (user_t, item_t)}) if kg else []
    name = f"graphrec_fastrp_{uuid.uuid4().hex[:12]}"
    train = graph.train.cpu()
    params = {"name": name, "users": graph.ids[user_t], "items": graph.ids[item_t],
              "u": train[0].tolist(), "i": train[1].tolist(), "kg_types": kg_types, "labels": list(graph.ids)}
    projected = False
    try:
        t0 = time.perf_counter()
        keys = dict(id_keys or {})
        rec = write(driver, render("gds/project_train", src=user_t, dst=item_t, src_id=keys.get(user_t, "id"),
                                   dst_id=keys.get(item_t, "id")), params).records[0]
        projected = True
        st.nodes, st.relationships = int(rec["nodes"]), int(rec["relationships"])
        st.project_seconds = time.perf_counter() - t0
        t1 = time.perf_counter()
        write(driver, load_query("gds/fastrp_mutate"),
              {"name": name, "dimensions": dim, "seed": seed, "iteration_weights": list(iteration_weights),
               "normalization_strength": normalization_strength, "concurrency": concurrency,
               "property": PROPERTY})
        st.compute_seconds = time.perf_counter() - t1
        t2 = time.perf_counter()
        out = []
        for label in (user_t, item_t):
            rows = read(driver, load_query("gds/stream_property"),
                        {"name": name, "property": PROPERTY, "label": label,
                         "id_key": keys.get(label, "id")})[0]["rows"]
            out.append(_aligned(rows, graph.ids[label], dim))
        st.stream_seconds = time.perf_counter() - t2
        return out[0], out[1]
    except DatabaseError as e:
        raise _gds_error(e) from e
    finally:
        if projected:
            write(driver, load_query("gds/drop_graph"), {"name": name})
