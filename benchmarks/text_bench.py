"""Text-feature benchmark: ``embed_text`` nodes/s next to the bare sentence-transformers encode of the same texts.

``python -m benchmarks.text_bench`` starts a throwaway Neo4j (or uses the empty database at
``GRAPHREC_BENCH_NEO4J_URI`` / ``GRAPHREC_BENCH_NEO4J_PASSWORD``), loads the real MovieLens-100K, and in
one process, with one thread setting (``--threads``, as ``graphrec embed-text --threads``):

* **bare encode**: ``SentenceTransformer.encode`` of exactly the texts ``embed-text`` builds
  (:func:`graphrec.features.embed.built_texts`), same model, batch size and normalisation — the ceiling;
* **embed-text**: :func:`graphrec.features.embed_text` with ``force=True``, wall time of the whole run
  (paging the text out of Neo4j, encoding, writing ``text_embedding`` back, the vector index).

The bare encode runs before and after embed-text (the model warmed first) and the faster of the two is the peer.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import data_dir, server
from benchmarks.report import write_section
from graphrec.db import connect
from graphrec.db.schema import apply_schema


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: 0 = the cores available)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="datasets folder (default: the data_dir setting)")
    ap.add_argument("--no-report", action="store_true", help="print, do not write BENCHMARKS.md")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from graphrec.features import embed_text
    from graphrec.features.embed import built_texts
    from graphrec.features.model import DEFAULT_MODEL, load_encoder, resolve_model
    from graphrec.ingest.datasets import LoadOptions, load_dataset
    from graphrec.train.threads import set_threads

    threads = set_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="graphrec-text-bench-") as tmp, server(Path(tmp)) as settings:
        driver = connect(settings)
        try:
            apply_schema(driver)
            load_dataset(driver, "movielens-100k", LoadOptions(), args.data_dir or data_dir(), Path(tmp),
                         progress=False)
            texts = [t for _, t in built_texts(driver, "Item")]
            model = resolve_model(DEFAULT_MODEL)
            encoder = load_encoder(model, "cpu")

            def bare() -> float:
                t = time.perf_counter()
                encoder.encode(texts, batch_size=args.batch_size, convert_to_numpy=True, normalize_embeddings=True,
                               show_progress_bar=False)
                return len(texts) / (time.perf_counter() - t)

            encoder.encode(texts[:args.batch_size], batch_size=args.batch_size, show_progress_bar=False)  # warm
            before = bare()
            stats = embed_text(driver, "Item", batch_size=args.batch_size, device="cpu", force=True)
            after = bare()
        finally:
            driver.close()
    peer = max(before, after)
    rate = stats.encoded / stats.seconds if stats.seconds else 0.0
    tokens = sum(len(t.split()) for t in texts) / max(1, len(texts))
    load = os.getloadavg()
    body = "\n".join([
        "## Text features: `embed-text` against the bare encoder (MovieLens-100K items)", "",
        f"all-MiniLM-L6-v2 (packaged copy), CPU, {threads} torch threads, batch {args.batch_size}; "
        f"{len(texts)} item texts as `embed-text` builds them (mean {tokens:.1f} words, e.g. "
        f"`{texts[0]}`). Command: `python -m benchmarks.text_bench` (in `make bench`). "
        "Target: embed-text >= 90% of the bare encode.", "",
        "| what | nodes | seconds | nodes/s | vs bare encode |", "|---|---|---|---|---|",
        f"| bare `SentenceTransformer.encode` (same texts; best of before/after: {before:,.0f} / {after:,.0f}/s) | "
        f"{len(texts)} | {len(texts) / peer:.1f} | {peer:,.0f} | 100% |",
        f"| `embed_text` whole run (page out, encode, write back, index) | {stats.encoded} | {stats.seconds:.1f} | "
        f"{rate:,.0f} | {rate / peer:.0%} |",
        f"| of which `model.encode` inside embed-text | {stats.encoded} | {stats.encode_seconds:.1f} | "
        f"{stats.encode_rate:,.0f} | {stats.encode_rate / peer:.0%} |", "",
        f"- machine load average when measured: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min) on "
        f"{os.cpu_count()} cores, shared with other work",
    ])
    if not args.no_report:
        write_section("text", body)
    print(body)


if __name__ == "__main__":
    main()
