"""docs/DESIGN.md stays true to the code: the names it cites exist, every package appears in its layout, and
every "docs/DESIGN.md §N" a docstring cites is a section of it."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT / "docs" / "DESIGN.md"


def _resolve(dotted: str) -> object:
    """The module or attribute named ``dotted`` (``graphrec.train.fit``, ``graphrec.writeback.publish``)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_the_names_it_cites_exist() -> None:
    text = DESIGN.read_text()
    dotted = set(re.findall(r"`(graphrec(?:\.\w+)+)", text))
    assert len(dotted) > 10
    missing = []
    for name in sorted(dotted):
        try:
            _resolve(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert not missing, missing
    paths = set(re.findall(r"`((?:graphrec|benchmarks|tests|cypher)/[\w/.]*\w)", text))
    assert [p for p in sorted(paths) if not (ROOT / p).exists()] == []


def test_every_package_is_in_the_layout() -> None:
    layout = DESIGN.read_text().split("## 2.", 1)[1].split("```", 2)[1]
    packages = [p.name for p in ROOT.joinpath("graphrec").iterdir() if (p / "__init__.py").is_file()]
    assert len(packages) > 10
    assert [p for p in packages if f"  {p}/" not in layout] == []


def test_cited_sections_exist() -> None:
    sections = set(re.findall(r"^## (\d+)\.", DESIGN.read_text(), re.M))
    cited: list[tuple[str, str]] = []
    for path in [*ROOT.joinpath("graphrec").rglob("*.py"), *ROOT.joinpath("tests").rglob("*.py"), ROOT / "README.md"]:
        for group in re.findall(r"DESIGN(?:\.md)? (§\d+(?:, §\d+)*)", path.read_text()):
            cited += [(str(path.relative_to(ROOT)), n) for n in re.findall(r"§(\d+)", group)]
    assert cited
    assert [c for c in cited if c[1] not in sections] == []
