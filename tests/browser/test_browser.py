"""Neo4j Browser for real: headless Chromium opens the test server's Browser, connects, plays the graphrec
guide, applies the style from it, runs `recommend` and `explain` (the texts of cypher/recommend/, pasted
into the guide) and saves screenshots that are checked to show a real result.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from neo4j import Driver
from PIL import Image
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from graphrec.browser import GuideServer, browser_info
from graphrec.browser.guide import query_for_browser
from graphrec.config import Settings
from tests.browser.pages import BrowserPage

RECOMMENDED = ["Star Wars (1977)", "Jurassic Park (1993)", "Independence Day (ID4) (1996)", "Aladdin (1992)",
               "Beauty and the Beast (1991)"]
OLD_RUN_ONLY = "Twelve Monkeys (1995)"
# grass colours (cypher/browser/graphrec.grass) as RGB
USER_BLUE, ITEM_ORANGE, GENRE_GREEN = (0x4C, 0x8E, 0xDA), (0xF7, 0x97, 0x67), (0x8D, 0xCC, 0x93)


def _shoot(frame: WebElement, path: Path) -> Counter[tuple[int, int, int]]:
    """Screenshot ``frame`` to ``path``, check it is a readable, non-blank picture; return its colour counts."""
    frame.screenshot(str(path))
    with Image.open(path) as png:
        image = png.convert("RGB")
    assert image.width >= 800 and image.height >= 250, f"{path.name}: {image.size} is too small to read"
    colours: Counter[tuple[int, int, int]] = Counter(image.get_flattened_data())  # type: ignore[arg-type]
    assert len(colours) >= 50, f"{path.name}: only {len(colours)} colours, not a rendered result"
    assert colours.most_common(1)[0][1] < 0.97 * image.width * image.height, f"{path.name}: nearly blank"
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)  # ~40 KB for the README
    return colours


def _has_colour(colours: Counter[tuple[int, int, int]], rgb: tuple[int, int, int], min_pixels: int = 200) -> bool:
    """Whether at least ``min_pixels`` pixels are (nearly) ``rgb``: a node of that label is drawn."""
    near = sum(n for px, n in colours.items() if all(abs(a - b) <= 6 for a, b in zip(px, rgb, strict=True)))
    return near >= min_pixels


def test_browser_recommend_and_explain(chrome: WebDriver, guide_server: GuideServer, small_graph: Driver,
                                       neo4j_settings: Settings, screenshot_dir: Path) -> None:
    page = BrowserPage(chrome)
    info = browser_info(neo4j_settings, guide_server.url)
    assert info.play_command and info.style_command
    page.connect(info.url, neo4j_settings.resolved_password())

    guide = page.run(info.play_command)
    page.wait_text(guide, "graphrec: recommendations that live in the graph")
    _shoot(guide, screenshot_dir / "browser-guide.png")

    text, style = page.run_block(guide, "graphrec-style")
    assert text == info.style_command
    page.wait_text(style, "node.Item", 'caption: "{title}"', 'caption: "user {id}"')
    for block in ("graphrec-params", "graphrec-param-k", "graphrec-param-limit"):
        _, frame = page.run_block(guide, block)
        page.wait_text(frame, "Successfully set your parameters")

    page.next_slide(guide)  # the graph: counts per label from the count store
    _, overview = page.run_block(guide, "graphrec-overview")
    page.wait_text(overview, "nodes_per_label", '"Item": 10', '"User": 3')
    page.next_slide(guide)  # a user: what user 1 rated, with genres
    _, history = page.run_block(guide, "graphrec-user-history")
    drawn = " | ".join(n["caption"] for n in page.wait_graph(history, min_nodes=5))
    assert "Empire Strikes Back, The (1980)" in drawn and "Star Wars (1977)" not in drawn, drawn
    page.next_slide(guide)  # model runs, the active one first
    _, runs = page.run_block(guide, "graphrec-runs")
    shown = page.wait_text(runs, "run-new", "run-old")
    assert shown.index("run-new") < shown.index("run-old")
    _, active = page.run_block(guide, "graphrec-active-run")  # where the active run's vectors and index live
    page.wait_text(active, "run-new", "embedding_run_new", "item_embedding_run_new")

    page.next_slide(guide)
    text, recommend = page.run_block(guide, "graphrec-recommend")
    assert " ".join(text.split()) == " ".join(query_for_browser("recommend/recommend").split())
    shown = page.wait_text(recommend, *RECOMMENDED, "Started streaming 5 records")
    positions = [shown.index(title) for title in RECOMMENDED]
    assert positions == sorted(positions), "recommendations are listed by rank"
    assert OLD_RUN_ONLY not in shown, "a recommendation of the inactive run leaked"
    _shoot(recommend, screenshot_dir / "browser-recommend.png")

    _, graph = page.run_block(guide, "graphrec-recommend-graph")
    nodes = page.wait_graph(graph, min_nodes=6)
    captions = {n["caption"] for n in nodes}
    assert "user 1" in captions, f"the style's User caption is not applied: {sorted(captions)}"
    colours = _shoot(graph, screenshot_dir / "browser-recommend-graph.png")
    assert all(_has_colour(colours, rgb) for rgb in (USER_BLUE, ITEM_ORANGE, GENRE_GREEN)), "style colours missing"

    page.next_slide(guide)
    text, explain = page.run_block(guide, "graphrec-explain")
    assert " ".join(text.split()) == " ".join(query_for_browser("browser/explain_graph").split())
    nodes = page.wait_graph(explain, min_nodes=3)
    drawn = " | ".join(n["caption"] for n in nodes)
    assert "user 1" in drawn and "Star Wars (1977)" in drawn, f"no path from the user to the item: {drawn}"
    assert any(genre in drawn for genre in ("Action", "Adventure", "Sci-Fi", "War", "space")), drawn
    colours = _shoot(explain, screenshot_dir / "browser-explain.png")
    assert all(_has_colour(colours, rgb) for rgb in (USER_BLUE, ITEM_ORANGE, GENRE_GREEN)), "style colours missing"
