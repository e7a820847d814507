"""Training curves: one CSV row per epoch and a PNG plot (matplotlib, no global backend state)."""

from __future__ import annotations

import csv
from pathlib import Path


def write_csv(history: list[dict[str, float]], path: Path) -> Path:
    """Write ``history`` (one dict per epoch) to ``path``; columns are the union of keys."""
    cols: list[str] = []
    for row in history:
        cols += [c for c in row if c not in cols]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(history)
    return path


def plot(history: list[dict[str, float]], path: Path, metric: str = "valid_recall@20", title: str = "") -> Path:
    """Loss per epoch (left axis) and ``metric`` at evaluated epochs (right axis), saved as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ep = [r["epoch"] for r in history if "loss" in r]
    ax.plot(ep, [r["loss"] for r in history if "loss" in r], color="tab:blue", label="train loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("BPR loss", color="tab:blue")
    ev = [r for r in history if metric in r]
    if ev:
        ax2 = ax.twinx()
        ax2.plot([r["epoch"] for r in ev], [r[metric] for r in ev], "o-", color="tab:orange", label=metric)
        ax2.set_ylabel(metric, color="tab:orange")
    ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(str(path))
    return path
