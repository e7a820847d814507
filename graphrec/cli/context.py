"""What every command shares: the settings, a lazily opened driver, quiet mode, the error wrapper."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import click
from neo4j import Driver

from graphrec.config import Settings
from graphrec.errors import GraphRecError


@dataclass
class AppContext:
    """State shared by the commands of one invocation (``ctx.obj``)."""

    settings: Settings
    quiet: bool = False
    _driver: Driver | None = field(default=None, repr=False)

    def driver(self) -> Driver:
        """The driver, opened on first use and closed when the command ends."""
        if self._driver is None:
            from graphrec.db import connect

            self._driver = connect(self.settings)
            click.get_current_context().call_on_close(self.close)
        return self._driver

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    def echo(self, message: str = "", err: bool = False) -> None:
        """Print unless ``--quiet`` (errors are always printed)."""
        if err or not self.quiet:
            click.echo(message, err=err)


pass_app = click.make_pass_decorator(AppContext)


class GraphRecGroup(click.Group):
    """A click group that turns :class:`GraphRecError` into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GraphRecError as e:
            click.echo("graphrec: error: " + " ".join(str(e).split()), err=True)
            ctx.exit(e.exit_code)


def table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """A plain-text table of ``rows`` (for human-readable output)."""
    if not rows:
        return "(no rows)"
    cols = columns or list(rows[0])
    cells = [[_fmt(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
    sep = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([line, sep, *body])


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    if v is None:
        return ""
    return str(v)
