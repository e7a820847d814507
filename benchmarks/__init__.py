"""Benchmarks run by ``make bench`` from the repository root (``python -m benchmarks.<name>``); each writes its
own section of BENCHMARKS.md. They are not part of the installed package (the wheel ships ``graphrec`` only).

Their own queries (one empties the whole database) live in ``benchmarks/cypher/``, outside the ``cypher/``
folder of graphrec's behaviour: load them with ``render_from(BENCH_CYPHER, name)``.

Datasets (lastfm-2k, MovieLens-100K) are read from :func:`benchmarks.common.data_dir`: graphrec's own
``data_dir`` setting, i.e. ``GRAPHREC_DATA_DIR`` when set, else ``../shared/datasets`` beside the checkout when
that folder exists, else ``<GRAPHREC_HOME>/datasets``. ``--data-dir`` overrides it per run.
"""

from pathlib import Path

BENCH_CYPHER = Path(__file__).resolve().parent / "cypher"
"""The benchmarks' own Cypher files."""

