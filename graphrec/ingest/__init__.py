"""Ingestion: dataset adapters → validated graph records → batched, idempotent Neo4j writes.

Entry points: :func:`graphrec.ingest.datasets.load_dataset` (what ``graphrec load`` runs) and
:func:`graphrec.ingest.stats.graph_stats` (``graphrec stats``). Adapters: :mod:`.movielens`,
:mod:`.lastfm` (+ KGCN KG), :mod:`.kgat`, :mod:`.csv` (the generic format's spec is its docstring).
"""
