"""The operator UI in a real browser: Debian's Chromium (headless) driven by Playwright, against the demo plant.

Log in, ask, see the answer with its evidence, a chart for a history question, the plant overview, German labels
after switching language (remembered), an uploaded recording's transcript, and an engineer's write dialog.
Screenshots of each screen go to ``test-artifacts/screenshots/`` (and to ``docs/screenshots/`` with
``IIOT_UPDATE_SCREENSHOTS=1``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ARTIFACTS, ROOT, SHARED_CACHE, free_port
from tests.ui_support.audio import silence, synthesise
from tests.ui_support.server import PASSWORDS, start_ui, stop_ui, ui_settings

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not shutil.which("chromium"),
                                reason="Debian chromium is not installed (apt-get install chromium)")  # fmt: skip

SHOTS = ARTIFACTS / "screenshots"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 120_000
NODE = "DemoPlant.Utilities.CoolingWater.P-101.Temperature"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("IIOT_UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, DOCS_SHOTS / path.name)


@pytest.fixture(scope="module")
def ui_url(demo_plant: Any, models_dir: Path) -> Iterator[str]:
    settings = ui_settings(demo_plant.endpoint, models_dir, SHARED_CACHE, free_port(), users=True, writes=True)
    app, url = start_ui(settings)
    yield url
    stop_ui(app)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from tests.ui_support.browser import chromium

    with chromium() as b:
        yield b


def login(browser: Any, url: str, user: str, screenshot: str | None = None) -> Any:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.wait_for_selector("input[type=password]")
    page.fill("input[type=text]", user)
    page.fill("input[type=password]", PASSWORDS[user])
    if screenshot:
        shot(page, screenshot)
    page.click("button.primary")
    page.wait_for_selector("#question textarea")
    who = "u => document.querySelector('#who') && document.querySelector('#who').innerText.includes(u)"
    page.wait_for_function(who, arg=user)  # the signed-in user's name, not the placeholder
    return page


def ask(page: Any, question: str) -> str:
    """Ask in the chat and wait for the answer's evidence (it arrives with the last streamed chunk)."""
    before = page.inner_text("#evidence")
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function("([b]) => { const e = document.querySelector('#evidence').innerText;"
                           " return e !== b && e.includes('ms'); }", arg=[before])  # fmt: skip
    return str(page.inner_text("#chat"))


def test_login_ask_answer_with_evidence_and_follow_up(browser: Any, ui_url: str) -> None:
    page = login(browser, ui_url, "olga", screenshot="01-login")
    assert "olga" in page.inner_text("#who")
    chat = ask(page, "What is the current temperature of pump P-101?")
    assert re.search(r"P-101 is \d+(\.\d+)? °C", chat), chat
    evidence = page.inner_text("#evidence")
    assert "opcua.read" in evidence and NODE in evidence and "°C" in evidence
    # a cited source opens in place
    page.click("#evidence details.ev-citation summary")
    assert page.locator("#evidence details.ev-citation[open] blockquote").first.is_visible()
    shot(page, "02-chat-evidence")
    # a follow-up without an asset keeps the conversation's asset
    page.fill("#question textarea", "And the vibration?")
    page.click("#ask")
    page.wait_for_function("document.querySelector('#evidence').innerText.includes('Follow-up')")
    page.wait_for_function("document.querySelector('#evidence').innerText.includes('P-101.Vibration')")
    assert "mm/s" in page.inner_text("#chat")
    page.click("#new-conversation")
    page.wait_for_function("!document.querySelector('#chat').innerText.includes('P-101')")
    page.close()


def test_history_question_shows_chart(browser: Any, ui_url: str) -> None:
    page = login(browser, ui_url, "olga")
    ask(page, "How did the temperature of pump P-101 develop over the last hour?")
    page.wait_for_selector("#answer-chart .js-plotly-plot")
    assert page.locator("#answer-chart .js-plotly-plot .scatterlayer .trace").count() >= 1
    assert "opcua.history" in page.inner_text("#evidence")
    shot(page, "03-history-chart")
    page.close()


def test_overview_lists_assets_alarms_and_prefills_question(browser: Any, ui_url: str) -> None:
    page = login(browser, ui_url, "olga")
    page.click("button[role=tab]:has-text('Plant overview')")
    page.wait_for_function("document.querySelector('#assets-table').innerText.includes('P-101')")
    page.wait_for_function("document.querySelector('#overview-status').innerText.includes('Updated')")
    assert "°C" in page.inner_text("#assets-table")
    shot(page, "04-overview")
    page.locator("#assets-table [role=gridcell]", has_text=re.compile(r"^\s*P-101\s*$")).first.click()
    page.wait_for_function("document.querySelector('#question textarea').value.includes('P-101')")
    assert page.locator("#question textarea").is_visible()
    page.close()


def test_switch_to_german_labels_and_remembered(browser: Any, ui_url: str) -> None:
    page = login(browser, ui_url, "lena")
    assert page.locator("#new-conversation").inner_text().strip() == "New conversation"
    page.click("#lang-select label:has-text('Deutsch')")
    page.wait_for_function("document.querySelector('#new-conversation').innerText.trim() === 'Neues Gespräch'")
    # the tab bar re-renders after the buttons: wait for it rather than read it at once
    page.wait_for_selector("button[role=tab]:has-text('Anlagenübersicht')")
    assert page.locator("button[role=tab]:has-text('Plant overview')").count() == 0
    assert "Frage" in page.inner_text("#question")
    chat = ask(page, "Wie hoch ist die Temperatur der Pumpe P-101?")
    assert "°C" in chat and "Temperatur" in chat
    shot(page, "05-german")
    page.close()
    again = login(browser, ui_url, "lena")  # the choice is remembered for this user
    again.wait_for_function("document.querySelector('#new-conversation').innerText.trim() === 'Neues Gespräch'")
    again.click("#lang-select label:has-text('English')")
    again.wait_for_function("document.querySelector('#new-conversation').innerText.trim() === 'New conversation'")
    again.close()


def test_voice_upload_transcript_answer_and_empty_clip(browser: Any, ui_url: str, tmp_path: Path) -> None:
    clip = synthesise("What is the temperature of pump P 101?", "en", tmp_path / "question-en.wav")
    page = login(browser, ui_url, "olga")
    page.click("button[role=tab]:has-text('Voice')")
    page.click("#voice-audio button[aria-label='Upload file']")
    page.locator("#voice-audio input[type=file]").set_input_files(str(clip))
    page.wait_for_function("/P-?101/.test(document.querySelector('#voice-transcript textarea').value)")
    assert "temperature" in page.input_value("#voice-transcript textarea").lower()
    page.click("#voice-send")
    page.wait_for_function("document.querySelector('#voice-answer').innerText.includes('°C')")
    shot(page, "06-voice-tablet")
    # an empty recording gets a friendly message, not an error
    page.click("#voice-audio button[aria-label='Clear']")
    page.click("#voice-audio button[aria-label='Upload file']")
    page.locator("#voice-audio input[type=file]").set_input_files(str(silence(tmp_path / "empty.wav", 0.3)))
    page.wait_for_function("document.querySelector('#voice-status').innerText.includes('too short')")
    page.close()


def test_engineer_confirms_write_in_dialog_operator_cannot(browser: Any, ui_url: str) -> None:
    page = login(browser, ui_url, "olga")
    page.click("button[role=tab]:has-text('Control')")
    assert "may only read" in page.inner_text("#control-info")
    page.close()
    page = login(browser, ui_url, "erik")  # erik's language setting is German
    page.click("button[role=tab]:has-text('Steuern')")
    page.click("#control-asset input")
    page.locator("ul[role=listbox] li").first.click()
    page.wait_for_timeout(1000)
    page.click("#control-signal input")
    page.locator("ul[role=listbox] li").first.click()
    page.wait_for_function("document.querySelector('#control-value input').value !== ''")
    page.click("#control-propose")
    page.wait_for_selector("#write-dialog-body table")
    body = page.inner_text("#write-dialog-body")
    assert "Knoten" in body and "Alter Wert" in body and "Neuer Wert" in body and "ns=" in body
    shot(page, "07-write-dialog")
    page.click("#control-reject")
    page.wait_for_function("document.querySelector('#control-status').innerText.includes('abgelehnt')")
    page.close()
