"""What every command shares: the settings, a lazily opened driver, quiet mode, the error wrapper."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click
from neo4j import Driver

from graphrec.config import Settings
from graphrec.errors import GraphRecError, clip
from graphrec.mapping import GraphMapping

if TYPE_CHECKING:
    from graphrec.api import Session


@dataclass
class AppContext:
    """State shared by the commands of one invocation (``ctx.obj``): the settings, and the
    :class:`graphrec.Session` (driver + settings + checked mapping) that the public API uses, opened lazily."""

    settings: Settings
    quiet: bool = False
    _session: Session | None = field(default=None, repr=False)

    def session(self) -> Session:
        """The session over the settings, opened on first use and closed when the command ends."""
        if self._session is None:
            from graphrec.api import Session

            self._session = Session(self.settings)
            click.get_current_context().call_on_close(self.close)
        return self._session

    def driver(self) -> Driver:
        """The session's driver."""
        return self.session().driver

    def mapping(self) -> GraphMapping:
        """The ``[graph]`` mapping of the settings, checked against the database schema on first use
        (a name the database lacks is a one-line error naming the config key, exit code 2)."""
        return self.session().mapping

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def echo(self, message: str = "", err: bool = False) -> None:
        """Print unless ``--quiet`` (errors are always printed)."""
        if err or not self.quiet:
            click.echo(message, err=err)


pass_app = click.make_pass_decorator(AppContext)


ERROR_CHARS = 1000
"""Longest error message printed (then cut, saying how long it was)."""


def error_line(message: str) -> str:
    """The one line every failure prints: ``graphrec: error: <message on one line>``, at most
    :data:`ERROR_CHARS` characters of it (a value echoed back may be as long as what was given)."""
    return "graphrec: error: " + clip(" ".join(message.split()), ERROR_CHARS)


class GraphRecGroup(click.Group):
    """A click group that turns :class:`GraphRecError` into one line on stderr and its exit code, and
    prints usage errors (unknown option, missing argument, bad value) in the same one-line form, exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GraphRecError as e:
            click.echo(error_line(str(e)), err=True)
            ctx.exit(e.exit_code)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            rv = super().main(*args, **kwargs)
        except click.UsageError as e:
            where = e.ctx.command_path if e.ctx is not None else "graphrec"
            click.echo(error_line(f"{where}: {e.format_message().rstrip('.')} (see '{where} --help')"), err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            click.echo(error_line(e.format_message()), err=True)
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo(error_line("aborted"), err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


@contextmanager
def progress_bars(quiet: bool, prefix: str = "publish") -> Iterator[Callable[[str, int, int], None]]:
    """A ``progress(stage, done, total)`` callback drawing one tqdm bar per stage on stderr (none when
    ``quiet``); every bar is closed on the way out, a failure's included, so that its line ends before the
    one-line error is printed."""
    from tqdm import tqdm

    bars: dict[str, tqdm[Any]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if quiet:
            return
        if stage not in bars:
            bars[stage] = tqdm(total=total, desc=f"{prefix} {stage}", unit="row")
        bars[stage].update(done - bars[stage].n)

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()


@contextmanager
def count_bar(quiet: bool, desc: str, total: int | None, unit: str) -> Iterator[Callable[[int], None] | None]:
    """A ``progress(n)`` callback adding ``n`` to one tqdm bar on stderr (rate, elapsed, ETA), or ``None``
    when ``quiet``; the bar is closed on the way out, a failure's included."""
    if quiet:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=total or None, desc=desc, unit=unit)
    try:
        yield bar.update
    finally:
        bar.close()


def table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """A plain-text table of ``rows`` (for human-readable output); columns: every key of any row, in order."""
    if not rows:
        return "(no rows)"
    cols = columns or list(dict.fromkeys(k for r in rows for k in r))
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
