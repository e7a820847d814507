"""The CLI explains itself: every option's default is in --help, usage errors are one ``graphrec: error:`` line."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from graphrec.cli.main import cli


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


COMMANDS = list(_commands(cli))


def test_every_command_is_covered() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"", "load", "train", "evaluate", "similar", "query", "db start", "runs"} <= names
    assert len(COMMANDS) > 15


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) or "graphrec" for p, _ in COMMANDS])
def test_every_option_shows_its_default(path: tuple[str, ...]) -> None:
    """Each option's help line carries ``[default: …]`` or says ``(default: …)`` in words; on/off flags that
    are off unless given are exempt (their default is 'not given')."""
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    cmd = dict(COMMANDS)[path]
    ctx = click.Context(cmd, info_name=" ".join(path) or "graphrec", show_default=True)
    missing = []
    for param in cmd.get_params(ctx):
        if not isinstance(param, click.Option) or param.hidden or param.is_eager:  # --help, --version
            continue
        if param.is_flag and not param.secondary_opts and not param.get_default(ctx):
            continue
        record = param.get_help_record(ctx)
        assert record is not None
        if "default:" not in record[1].lower() and "(default" not in record[1]:
            missing.append(f"{record[0]}: {record[1]}")
    assert not missing, "options without a shown default:\n" + "\n".join(missing)


@pytest.mark.parametrize(("args", "words"), [
    (["--bogus"], "graphrec: No such option '--bogus'"),
    (["recommend"], "graphrec recommend: Missing argument 'USER'"),
    (["recommend", "1", "-k", "many"], "graphrec recommend: Invalid value for '-k'"),
    (["load", "nope"], "graphrec load: Invalid value"),
    (["runs", "frobnicate"], "graphrec runs: No such command 'frobnicate'"),
    (["stats", "extra"], "graphrec stats: Got unexpected extra argument"),
])
def test_usage_errors_are_one_line(args: list[str], words: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("graphrec: error: ") and words in lines[0]
    assert lines[0].endswith("--help')")
