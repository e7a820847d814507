"""Neo4j access: driver wrapper, query registry, label allowlist, batched writer, paged reader."""

from graphrec.db.batches import write_batches
from graphrec.db.driver import connect, read, write
from graphrec.db.queries import load_query, query_names, render

__all__ = ["connect", "load_query", "query_names", "read", "render", "write", "write_batches"]
