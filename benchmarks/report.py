"""Write one benchmark's section of BENCHMARKS.md, leaving the other sections as they are."""

from __future__ import annotations

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

HEADER = "# graphrec benchmarks\n\nWritten by `make bench`; each section is replaced when its benchmark runs again.\n"


def machine_line() -> str:
    """One line naming the machine and library versions the figures were measured with."""
    import os

    import torch

    try:
        import neo4j

        drv = neo4j.__version__
    except ImportError:  # pragma: no cover - neo4j is a hard dependency
        drv = "?"
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return (
        f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · GPU {gpu} · "
        f"Python {platform.python_version()} · torch {torch.__version__} · neo4j driver {drv}"
    )


def write_section(name: str, body: str, path: Path = Path("BENCHMARKS.md")) -> None:
    """Replace (or append) the section ``name`` of ``path`` with ``body``.

    Args:
        name: section key, e.g. ``"ingest"``.
        body: markdown text of the section, without the markers.
        path: the report file (default: ``BENCHMARKS.md`` in the working directory).
    """
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = f"{start}\n{body.rstrip()}\n\n_measured {stamp} on {machine_line()}_\n{end}"
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
