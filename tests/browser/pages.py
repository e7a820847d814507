"""A small page object for Neo4j Browser 5 (selectors are its own ``data-testid`` attributes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    InvalidElementStateException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

FRAME = "[data-testid=frame]"
CONNECTED = "You are connected as user"
REFUSED = "Neo.ClientError.Security.Unauthorized"
ANSWER_S = 20.0
"""Seconds a connect click waits for the server's answer before the login is tried again."""


class BrowserPage:
    """Drives one Neo4j Browser tab: connect, run commands, play the guide, wait for results."""

    def __init__(self, driver: WebDriver, timeout: float = 45.0) -> None:
        self.d = driver
        self.timeout = timeout
        self.wait = WebDriverWait(driver, timeout)

    def body_text(self) -> str:
        return str(self.d.find_element(By.TAG_NAME, "body").text)

    def frames(self) -> list[WebElement]:
        """Result frames, newest first."""
        return list(self.d.find_elements(By.CSS_SELECTOR, FRAME))

    def connect(self, url: str, password: str, attempts: int = 3) -> None:
        """Open the Browser at ``url`` (connect form pre-filled) and log in with ``password``.

        On load the Browser first tries to connect on its own and then draws its connect form again: a
        password typed into the first form is lost and the click sends an empty one. So the password is
        typed until the form in the page holds it, and a refused or unanswered connect is tried again.
        """
        self.d.get(url)
        for _ in range(attempts):
            self.wait.until(lambda d: CONNECTED in self.body_text() or self._type_password(password))
            if CONNECTED in self.body_text():   # a slow answer to the try before
                return
            refusals = self.body_text().count(REFUSED)
            self.wait.until(lambda d: self._click_connect())
            try:   # a click on a form being drawn again may send nothing: then no answer comes, try again
                WebDriverWait(self.d, ANSWER_S).until(partial(self._answered, refusals))
            except TimeoutException:
                continue
            if CONNECTED in self.body_text():
                return
        if CONNECTED in self.body_text():
            return
        raise AssertionError(f"Neo4j Browser did not connect after {attempts} tries; the page ends: "
                             f"{self.body_text()[-300:]!r}")

    def _answered(self, refusals: int, _: WebDriver) -> bool:
        """Whether the server has answered the click: connected, or one more refusal than ``refusals``."""
        text = self.body_text()
        return CONNECTED in text or text.count(REFUSED) > refusals

    def _click_connect(self) -> bool:
        """Click Connect; false while the form is being drawn again (the button missing, replaced or covered)."""
        try:
            self.d.find_element(By.CSS_SELECTOR, "[data-testid=connect]").click()
        except (NoSuchElementException, StaleElementReferenceException, InvalidElementStateException,
                ElementClickInterceptedException):
            time.sleep(0.2)
            return False
        return True

    def _type_password(self, password: str) -> bool:
        """Type ``password`` into the connect form; true once the form has held it for half a second."""
        try:
            field = self.d.find_element(By.CSS_SELECTOR, "[data-testid=password]")
            if field.get_attribute("value") != password:
                field.clear()
                field.send_keys(password)
            time.sleep(0.5)
            again = self.d.find_element(By.CSS_SELECTOR, "[data-testid=password]")
            return bool(again.get_attribute("value") == password)
        except (NoSuchElementException, StaleElementReferenceException, InvalidElementStateException):
            return False   # the form is being drawn again: not there, replaced, or not yet editable

    def click(self, element: WebElement) -> None:
        """Click like a user, retrying while the Browser's layout is still moving (fade-ins, frames being
        inserted above) and another element sits on top of ``element`` for a moment."""
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)

        def clicked(_: WebDriver) -> bool:
            try:
                element.click()
            except (ElementClickInterceptedException, ElementNotInteractableException):
                time.sleep(0.2)
                return False
            return True

        self.wait.until(clicked)

    def _newest_is_new(self, old: set[str], _: WebDriver) -> bool:
        frames = self.frames()
        return bool(frames) and frames[0].id not in old

    def _new_frame(self, old: set[str], again: Callable[[], None] | None = None, tries: int = 3) -> WebElement:
        """The frame a command opened: the newest one that is not in ``old`` (ids of the frames before it;
        compared by identity, so a frame the Browser removes meanwhile cannot hide it). When ``again`` is
        given and no frame comes within :data:`ANSWER_S`, the command is given again (``tries`` times in
        all): a click that lands while the guide is still being laid out can do nothing."""
        for _ in range(tries if again else 1):
            try:
                WebDriverWait(self.d, ANSWER_S if again else self.timeout).until(
                    partial(self._newest_is_new, old))
                return self.frames()[0]
            except TimeoutException:
                if again:
                    again()
        raise AssertionError(f"no new frame ({len(self.frames())} frames); the page ends: "
                             f"{self.body_text()[-300:]!r}")

    def _frame_ids(self) -> set[str]:
        return {str(f.id) for f in self.frames()}

    def run(self, command: str) -> WebElement:
        """Type a one-line command into the editor, run it, return its frame."""
        old = self._frame_ids()
        editor = self.d.find_element(By.CSS_SELECTOR, "[data-testid=activeEditor] textarea")
        editor.send_keys(command)
        editor.send_keys(Keys.ENTER)
        return self._new_frame(old)

    def run_block(self, guide: WebElement, testid: str) -> tuple[str, WebElement]:
        """Click the play icon of the guide's code block ``testid``; return its text and the new frame."""
        block = guide.find_element(By.CSS_SELECTOR, f"pre[data-testid={testid}]")
        text = str(block.text)
        old = self._frame_ids()

        def play() -> None:
            self.click(block.find_element(By.CSS_SELECTOR, "i"))

        play()
        return text, self._new_frame(old, again=play)

    def next_slide(self, guide: WebElement, times: int = 1) -> None:
        for _ in range(times):
            self.click(guide.find_element(By.CSS_SELECTOR, "[data-testid=nextSlide]"))

    def wait_text(self, frame: WebElement, *texts: str) -> str:
        """Wait until ``frame`` holds every one of ``texts`` (scrolled out of view or not); return its text."""
        self.wait.until(lambda d: all(t in self.text_of(frame) for t in texts))
        return self.text_of(frame)

    @staticmethod
    def text_of(element: WebElement) -> str:
        return str(element.get_attribute("textContent") or "")

    def graph_nodes(self, frame: WebElement) -> list[dict[str, Any]]:
        """The nodes the graph view draws: caption text and position, read from its SVG."""
        script = r"""
            return Array.from(arguments[0].querySelectorAll('svg g.node')).map(g => ({
              caption: Array.from(g.querySelectorAll('text')).map(t => t.textContent).join(' ')
                         .split(/\s+/).filter(w => w).join(' '),
              transform: g.getAttribute('transform') || ''
            }))"""
        return list(self.d.execute_script(script, frame))

    def wait_graph(self, frame: WebElement, min_nodes: int, settle: float = 15.0) -> list[dict[str, Any]]:
        """Wait for at least ``min_nodes`` drawn nodes, then for the force layout to stop moving."""
        self.wait.until(lambda d: len(self.graph_nodes(frame)) >= min_nodes)
        deadline = time.monotonic() + settle
        last = self.graph_nodes(frame)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.graph_nodes(frame)
            if now == last:
                break
            last = now
        return last
