"""Benchmarks run by ``make bench``; each writes its own section of BENCHMARKS.md.

Their own queries (one empties the whole database) live in ``graphrec/bench/cypher/``, outside the
``cypher/`` folder of graphrec's behaviour: load them with
``render_from(BENCH_CYPHER, name)``.
"""

from pathlib import Path

BENCH_CYPHER = Path(__file__).resolve().parent / "cypher"
"""The benchmarks' own Cypher files."""
