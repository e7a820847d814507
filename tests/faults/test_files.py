"""Files that hold secrets or every user's interactions are private (issue 22, item 11): a saved artefact is
written 0600, and a password file group or others can read is made 0600, with a warning."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import torch

from graphrec.artefact import Artefact
from graphrec.config import load_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_saved_artefact_is_private(tmp_path: Path) -> None:
    art = Artefact(model="ease", user_type="User", item_type="Item", ids={"User": ["u1"], "Item": ["i1", "i2"]},
                   user_emb=torch.ones(1, 2), item_emb=torch.ones(2, 2), exclude=torch.tensor([[0], [0]]),
                   train_pairs=1)
    stale = tmp_path / "a.artefact.partial"   # a killed save's leftover, world-readable
    stale.write_bytes(b"x")
    stale.chmod(0o644)
    path = art.save(tmp_path / "a.artefact")
    assert _mode(path) == 0o600 and not stale.exists()
    assert Artefact.load(path).ids == art.ids


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_readable_password_file_is_tightened_with_a_warning(tmp_path: Path, mode: int,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    tmp_path.chmod(0o755)
    s = load_settings({"home": tmp_path}, env={}, toml_path=tmp_path / "none.toml")
    s.password_file.write_text("secret-from-before\n")
    s.password_file.chmod(mode)
    assert s.resolved_password() == "secret-from-before"
    assert _mode(s.password_file) == 0o600
    err = capsys.readouterr().err
    assert err == f"warning: {s.password_file} was readable by group or others (mode {mode:04o}); made it 0600\n"
    assert s.ensure_password() == "secret-from-before" and capsys.readouterr().err == ""   # once only
