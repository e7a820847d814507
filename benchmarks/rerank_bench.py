"""The coverage re-ranking's time and peak memory as the users grow (issue 21: ``--pop-debias``).

Run as ``python -m benchmarks.rerank_bench [--users 10000,100000,1000000] [--items 20000] [--swaps 3]``. For each
user count a child process draws every user's top :data:`~graphrec.train.rerank.WINDOW` candidates from a power-law
popularity over ``--items`` items (Gumbel top-k, scores descending: the shape a fitted model's windows have, a
popular head most lists share) and re-ranks them together with ``--swaps`` per user, as write-back does for every
user of a run (:class:`graphrec.train.rerank.CoverageRerank`). Reported: the windows' own bytes, the seconds of
the re-ranking, the process's peak RSS before and after it (``ru_maxrss``; the difference is what the re-ranking
adds above the windows, 0 where its peak stays below the draw's), and the coverage@20 before and after. The
section ``rerank-scale`` of BENCHMARKS.md is rewritten.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

from benchmarks.common import loadavg
from benchmarks.report import write_section


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


HEAD = 1.8
"""The popularity exponent of the draw: item ``r``'s weight is ``r^-HEAD`` (at 20,000 users × 20,000 items the
top 20s cover about a fifth of the items, the share the fitted models' lists cover on ml-100k and lastfm-2k)."""


DRAW_ROWS = 512
"""Users drawn at a time: small, so the draw's own temporaries (``DRAW_ROWS × items`` floats) stay far below the
re-ranking's and the peak RSS before it is the windows' and the interpreter's."""


def _windows(users: int, items: int, seed: int) -> tuple[Any, Any]:
    """``[users, WINDOW]`` candidate ids and descending scores drawn from a power-law popularity."""
    import torch

    from graphrec.train.rerank import WINDOW

    g = torch.Generator().manual_seed(seed)
    logpop = -HEAD * torch.log(torch.arange(1, items + 1, dtype=torch.float32))
    out_i = torch.empty(users, WINDOW, dtype=torch.long)
    out_s = torch.empty(users, WINDOW)
    for s in range(0, users, DRAW_ROWS):
        b = min(DRAW_ROWS, users - s)
        gumbel = -torch.log(-torch.log(torch.rand(b, items, generator=g).clamp_(1e-12, 1 - 1e-7)))
        torch.topk(logpop + gumbel, WINDOW, dim=1, out=(out_s[s:s + b], out_i[s:s + b]))
    return out_i, out_s


def _coverage(items: Any, k: int, num_items: int) -> float:
    return float(items[:, :k].unique().numel()) / num_items


def child(users: int, items: int, swaps: int) -> dict[str, Any]:
    """Draw the windows, re-rank them, measure (run in its own process)."""
    from graphrec.train.rerank import COVER_K, CoverageRerank
    from graphrec.train.threads import set_threads

    set_threads(1)
    it, sc = _windows(users, items, 0)
    before = _rss_mib()
    t0 = time.perf_counter()
    out, _ = CoverageRerank(swaps)(it, sc)
    seconds = time.perf_counter() - t0
    return {"users": users, "items": items, "swaps": swaps, "window_mib": (it.nbytes + sc.nbytes) / 2**20,
            "seconds": seconds, "rss_before_mib": before, "rss_after_mib": _rss_mib(),
            "coverage_before": _coverage(it, COVER_K, items), "coverage_after": _coverage(out, COVER_K, items)}


def _table(rows: list[dict[str, Any]]) -> str:
    lines = ["| users | items | swaps | windows | re-rank s | peak RSS before | peak RSS after | added "
             "| coverage@20 before → after |", "|" + "---|" * 9]
    for r in rows:
        lines.append(f"| {r['users']:,} | {r['items']:,} | {r['swaps']} | {r['window_mib']:,.0f} MiB "
                     f"| {r['seconds']:.1f} | {r['rss_before_mib']:,.0f} MiB | {r['rss_after_mib']:,.0f} MiB "
                     f"| {r['rss_after_mib'] - r['rss_before_mib']:,.0f} MiB "
                     f"| {r['coverage_before']:.3f} → {r['coverage_after']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--users", default="10000,100000,1000000")
    p.add_argument("--items", type=int, default=20_000)
    p.add_argument("--swaps", type=int, default=3)
    p.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    p.add_argument("--no-write", action="store_true", help="print the table instead of writing BENCHMARKS.md")
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(*a.child)))
        return 0
    started, load0 = time.strftime("%Y-%m-%d %H:%M", time.gmtime()), loadavg()
    rows = []
    for users in (int(u) for u in a.users.split(",")):
        got = subprocess.run([sys.executable, "-m", "benchmarks.rerank_bench", "--child", str(users),
                              str(a.items), str(a.swaps)], capture_output=True, text=True, check=True)
        rows.append(json.loads(got.stdout.strip().splitlines()[-1]))
        print(f"  {users:,} users: {rows[-1]['seconds']:.1f} s, peak RSS {rows[-1]['rss_after_mib']:,.0f} MiB",
              file=sys.stderr, flush=True)
    body = (f"## The coverage re-ranking as the users grow\n\n`python -m benchmarks.rerank_bench --users {a.users} "
            f"--items {a.items} --swaps {a.swaps}`, one torch thread, {started} UTC, load average {load0} at the "
            f"start, {loadavg()} at the end. Each user's top 100 drawn from a power-law popularity (a shared head, as "
            "fitted windows have), all users' lists re-ranked together as write-back re-ranks every user's; peak "
            "RSS is the child process's `ru_maxrss` before the re-ranking (the windows drawn) and after.\n\n"
            + _table(rows))
    if a.no_write:
        print(body)
    else:
        write_section("rerank-scale", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
