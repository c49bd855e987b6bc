"""The operator web UI (Gradio): chat with evidence and charts, voice for tablets, plant overview, gated control.

Tabs:

* **Chat** — streamed answers; beside each, the evidence (tool calls with values, units, timestamps, node ids;
  cited passages opening in place) and a chart when the tools returned a time series or a remaining-life band
  (:mod:`assistant.ui.charts`). A history question gets a chart from OPC UA history when no historian tool ran.
  Follow-ups without an asset are asked about the previous answer's asset; "New conversation" forgets it.
* **Voice (tablet)** — big push-to-talk, high contrast: microphone or uploaded file → offline speech-to-text
  (language from the user's setting, catalog asset ids as hotwords and fuzzy-matched) → editable transcript →
  answer in big type, read aloud by the browser's speech synthesis.
* **Plant overview** — assets with live values (refreshing), active alarms, the maintenance plan; clicking an
  asset pre-fills a question in the chat.
* **Control** — for roles in ``opcua.write_roles`` when ``opcua.writes_enabled``: propose a set-point, confirm or
  reject it in a dialog showing node, old and new value and range. Otherwise the tab explains the setting.

UI texts come from ``prompts/ui/<lang>.yaml``; the language selector is remembered per user. Login uses
``settings.users`` (PBKDF2 hashes); without users the UI runs without login on loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.config import Settings
from assistant.errors import OperatorError
from assistant.language import detect_language
from assistant.ui.auth import Preferences, User, authenticator, bind_host, login_required, user_of
from assistant.ui.backend import Answer, Backend, ui_max_queue, ui_workers
from assistant.ui.charts import figure_for
from assistant.ui.evidence import render_evidence
from assistant.ui.texts import t, ui_languages
from assistant.voice.transcribe import SpeechToText

STYLE = Path(__file__).with_name("style.css")
OVERVIEW_REFRESH_S = 10.0

HEAD_JS = """
<script>
(() => {
  // Push-to-talk: hold the big button to record with the audio component's microphone, release to stop.
  const q = (sel) => document.querySelector(sel);
  const press = (names) => {
    for (const n of names) {
      const b = q(`#voice-audio button.${n}`) || [...document.querySelectorAll('#voice-audio button')]
        .find((x) => (x.getAttribute('aria-label') || x.textContent || '').toLowerCase().includes(n.split('-')[0]));
      if (b) { b.click(); return true; }
    }
    return false;
  };
  const down = (e) => { if (!e.target.closest('#ptt')) return; e.preventDefault();
    q('#ptt')?.classList.add('recording'); press(['record-button', 'record']); };
  const up = (e) => { const ptt = q('#ptt'); if (!ptt || !ptt.classList.contains('recording')) return;
    ptt.classList.remove('recording'); press(['stop-button', 'stop']); };
  document.addEventListener('pointerdown', down, true);
  document.addEventListener('pointerup', up, true);
  document.addEventListener('pointercancel', up, true);
  const hint = () => { const h = q('#https-hint'); if (h && !window.isSecureContext) h.classList.add('show'); };
  setInterval(hint, 2000);
})();
</script>
"""

READ_ALOUD_JS = """
(text, locale) => {
  if (!('speechSynthesis' in window) || !text) return [];
  window.speechSynthesis.cancel();
  const u = new SpeechSynthesisUtterance(text);
  u.lang = locale || 'en-US';
  window.speechSynthesis.speak(u);
  return [];
}
"""


def _session(request: gr.Request | None) -> str | None:
    """The browser session a question comes from (its conversation), when Gradio says."""
    return getattr(request, "session_hash", None) or None


def _lang_choices() -> list[tuple[str, str]]:
    return [(t(code, "language_name"), code) for code in ui_languages()]


def _now() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S UTC")


def build_app(settings: Settings) -> gr.Blocks:
    backend = Backend(settings)
    stt = SpeechToText(settings)
    prefs = Preferences(settings)
    default_lang = settings.language if settings.language in ui_languages() else "en"
    d = default_lang
    writes = settings.opcua.writes_enabled
    relabel: list[tuple[Any, Callable[[str], Any]]] = []

    def reg(component: Any, fn: Callable[[str], Any]) -> Any:
        relabel.append((component, fn))
        return component

    def user_from(state: dict[str, Any] | None) -> User:
        if not state:
            return user_of(settings, None)
        return User(state["name"], state["role"], state.get("language"))

    def may_write(user: User) -> bool:
        return writes and user.role in settings.opcua.write_roles

    def who_text(user: User, lang: str) -> str:
        if not login_required(settings):
            return t(lang, "no_login_notice")
        return t(lang, "signed_in_as", user=user.name, role=user.role)

    def control_text(user: User, lang: str) -> str:
        if not writes:
            return t(lang, "control_disabled")
        if not may_write(user):
            return t(lang, "control_not_allowed", role=user.role, roles=", ".join(settings.opcua.write_roles))
        return t(lang, "control_intro")

    with gr.Blocks(title=t(d, "title")) as ui:
        lang_state = gr.State(d)
        user_state = gr.State(None)
        last_asset = gr.State(None)
        pending = gr.State(None)
        with gr.Row(elem_id="topbar", equal_height=True):
            header = reg(gr.Markdown(f"# {t(d, 'title')}\n{t(d, 'subtitle')}", elem_id="header"),
                         lambda lg: gr.Markdown(f"# {t(lg, 'title')}\n{t(lg, 'subtitle')}"))  # fmt: skip
            with gr.Column(scale=0, min_width=560):  # five languages in one row
                lang_sel = gr.Radio(_lang_choices(), value=d, label=t(d, "ui_language"), elem_id="lang-select")
                reg(lang_sel, lambda lg: gr.Radio(label=t(lg, "ui_language")))
                logout = reg(gr.Button(t(d, "logout"), link="/logout", size="sm", visible=login_required(settings),
                                       elem_id="logout"), lambda lg: gr.Button(t(lg, "logout")))  # fmt: skip
        who = gr.Markdown(who_text(user_of(settings, None), d), elem_id="who")
        del header, logout

        with gr.Tabs(elem_id="tabs") as tabs:
            # -- chat ---------------------------------------------------------------------------------------
            with gr.Tab(t(d, "tab_chat"), id="chat", elem_id="tab-chat") as tab_chat:
                reg(tab_chat, lambda lg: gr.Tab(label=t(lg, "tab_chat")))
                with gr.Row():
                    with gr.Column(scale=3):
                        chat = reg(gr.Chatbot(label=t(d, "conversation"), height=440, elem_id="chat"),
                                   lambda lg: gr.Chatbot(label=t(lg, "conversation")))  # fmt: skip
                        question = reg(
                            gr.Textbox(label=t(d, "question"), placeholder=t(d, "question_placeholder"), lines=1,
                                       elem_id="question"),
                            lambda lg: gr.Textbox(label=t(lg, "question"), placeholder=t(lg, "question_placeholder")),
                        )  # fmt: skip
                        with gr.Row():
                            ask_btn = reg(gr.Button(t(d, "ask"), variant="primary", elem_id="ask"),
                                          lambda lg: gr.Button(t(lg, "ask")))  # fmt: skip
                            new_btn = reg(gr.Button(t(d, "new_conversation"), elem_id="new-conversation"),
                                          lambda lg: gr.Button(t(lg, "new_conversation")))  # fmt: skip
                    with gr.Column(scale=2):
                        reg(gr.Markdown(f"### {t(d, 'evidence')}", elem_id="evidence-title"),
                            lambda lg: gr.Markdown(f"### {t(lg, 'evidence')}"))  # fmt: skip
                        plot = reg(gr.Plot(label=t(d, "chart"), visible=False, elem_id="answer-chart"),
                                   lambda lg: gr.Plot(label=t(lg, "chart")))  # fmt: skip
                        evidence = gr.HTML(render_evidence(None, d), elem_id="evidence")

            # -- voice (tablet) -----------------------------------------------------------------------------
            with gr.Tab(t(d, "tab_voice"), id="voice", elem_id="tab-voice") as tab_voice:
                reg(tab_voice, lambda lg: gr.Tab(label=t(lg, "tab_voice")))
                with gr.Column(elem_id="tablet"):
                    reg(gr.Markdown(t(d, "voice_intro"), elem_id="voice-intro"),
                        lambda lg: gr.Markdown(t(lg, "voice_intro")))  # fmt: skip
                    reg(gr.HTML(f'<div id="https-hint">{t(d, "voice_https_hint")}</div>'),
                        lambda lg: gr.HTML(f'<div id="https-hint">{t(lg, "voice_https_hint")}</div>'))  # fmt: skip
                    reg(gr.Button(t(d, "voice_record"), elem_id="ptt", size="lg"),
                        lambda lg: gr.Button(t(lg, "voice_record")))  # fmt: skip
                    audio = reg(gr.Audio(sources=["microphone", "upload"], type="filepath", label=t(d, "voice_audio"),
                                         elem_id="voice-audio"),
                                lambda lg: gr.Audio(label=t(lg, "voice_audio")))  # fmt: skip
                    voice_status = gr.Markdown("", elem_id="voice-status")
                    transcript = reg(gr.Textbox(label=t(d, "voice_transcript"), lines=2, elem_id="voice-transcript"),
                                     lambda lg: gr.Textbox(label=t(lg, "voice_transcript")))  # fmt: skip
                    voice_send = reg(gr.Button(t(d, "voice_send"), variant="primary", elem_id="voice-send"),
                                     lambda lg: gr.Button(t(lg, "voice_send")))  # fmt: skip
                    voice_answer = gr.Markdown("", elem_id="voice-answer")
                    voice_text = gr.Textbox(visible=False)
                    locale = gr.Textbox(t(d, "speech_locale"), visible=False)
                    reg(locale, lambda lg: gr.Textbox(t(lg, "speech_locale")))
                    read_btn = reg(gr.Button(t(d, "voice_read_aloud"), elem_id="voice-read"),
                                   lambda lg: gr.Button(t(lg, "voice_read_aloud")))  # fmt: skip
                voice_evidence = gr.HTML("", elem_id="voice-evidence")

            # -- plant overview -----------------------------------------------------------------------------
            with gr.Tab(t(d, "tab_overview"), id="overview", elem_id="tab-overview") as tab_overview:
                reg(tab_overview, lambda lg: gr.Tab(label=t(lg, "tab_overview")))
                overview_status = gr.Markdown("", elem_id="overview-status")
                with gr.Row():
                    with gr.Column(scale=5):

                        def assets_title(lg: str) -> str:
                            return f"### {t(lg, 'overview_assets')}\n{t(lg, 'overview_click_hint')}"

                        reg(gr.Markdown(assets_title(d)), lambda lg: gr.Markdown(assets_title(lg)))
                        asset_headers = ("col_asset", "col_path", "col_values")
                        assets_df = reg(
                            gr.Dataframe(headers=[t(d, k) for k in asset_headers], interactive=False,
                                         elem_id="assets-table", wrap=True, max_height=520),
                            lambda lg: gr.Dataframe(headers=[t(lg, k) for k in asset_headers]),
                        )  # fmt: skip
                    with gr.Column(scale=2):
                        reg(gr.Markdown(f"### {t(d, 'overview_alarms')}"),
                            lambda lg: gr.Markdown(f"### {t(lg, 'overview_alarms')}"))  # fmt: skip
                        alarm_headers = ("col_code", "col_severity", "col_asset", "col_message", "col_time")
                        alarms_df = reg(
                            gr.Dataframe(headers=[t(d, k) for k in alarm_headers], interactive=False,
                                         elem_id="alarms-table", wrap=True),
                            lambda lg: gr.Dataframe(headers=[t(lg, k) for k in alarm_headers]),
                        )  # fmt: skip
                        reg(gr.Markdown(f"### {t(d, 'overview_plan')}"),
                            lambda lg: gr.Markdown(f"### {t(lg, 'overview_plan')}"))  # fmt: skip
                        plan_headers = ("col_asset", "col_action", "col_when", "col_reason", "col_priority")
                        plan_df = reg(
                            gr.Dataframe(headers=[t(d, k) for k in plan_headers], interactive=False,
                                         elem_id="plan-table", wrap=True),
                            lambda lg: gr.Dataframe(headers=[t(lg, k) for k in plan_headers]),
                        )  # fmt: skip
                        plan_note = gr.Markdown("", elem_id="plan-note")
                refresh_btn = reg(gr.Button(t(d, "overview_refresh"), elem_id="overview-refresh"),
                                  lambda lg: gr.Button(t(lg, "overview_refresh")))  # fmt: skip
                with gr.Row():
                    report_line = reg(gr.Textbox(label=t(d, "report_line"), placeholder=t(d, "report_line_placeholder"),
                                                 elem_id="report-line", scale=3),
                                      lambda lg: gr.Textbox(label=t(lg, "report_line")))  # fmt: skip
                    report_btn = reg(gr.Button(t(d, "report_button"), elem_id="shift-report", scale=1),
                                     lambda lg: gr.Button(t(lg, "report_button")))  # fmt: skip
                report_file = gr.File(label=t(d, "report_file"), elem_id="report-file")
                report_md = gr.Markdown("", elem_id="report-body")
                timer = gr.Timer(OVERVIEW_REFRESH_S)

            # -- control ------------------------------------------------------------------------------------
            with gr.Tab(t(d, "tab_control"), id="control", elem_id="tab-control") as tab_control:
                reg(tab_control, lambda lg: gr.Tab(label=t(lg, "tab_control")))
                control_info = gr.Markdown(control_text(user_of(settings, None), d), elem_id="control-info")
                with gr.Group(visible=False) as control_form:
                    c_asset = reg(gr.Dropdown([], label=t(d, "control_asset"), elem_id="control-asset"),
                                  lambda lg: gr.Dropdown(label=t(lg, "control_asset")))  # fmt: skip
                    c_signal = reg(gr.Dropdown([], label=t(d, "control_signal"), elem_id="control-signal"),
                                   lambda lg: gr.Dropdown(label=t(lg, "control_signal")))  # fmt: skip
                    c_value = reg(gr.Number(label=t(d, "control_value"), elem_id="control-value"),
                                  lambda lg: gr.Number(label=t(lg, "control_value")))  # fmt: skip
                    c_propose = reg(gr.Button(t(d, "control_propose"), variant="primary", elem_id="control-propose"),
                                    lambda lg: gr.Button(t(lg, "control_propose")))  # fmt: skip
                with gr.Group(visible=False, elem_id="write-dialog") as dialog:
                    reg(gr.Markdown(f"### {t(d, 'control_dialog_title')}"),
                        lambda lg: gr.Markdown(f"### {t(lg, 'control_dialog_title')}"))  # fmt: skip
                    dialog_body = gr.Markdown("", elem_id="write-dialog-body")
                    with gr.Row():
                        c_confirm = reg(gr.Button(t(d, "control_confirm"), variant="stop", elem_id="control-confirm"),
                                        lambda lg: gr.Button(t(lg, "control_confirm")))  # fmt: skip
                        c_reject = reg(gr.Button(t(d, "control_reject"), elem_id="control-reject"),
                                       lambda lg: gr.Button(t(lg, "control_reject")))  # fmt: skip
                control_status = gr.Markdown("", elem_id="control-status")

        relabel_outputs = [c for c, _ in relabel]

        def relabel_updates(lang: str) -> list[Any]:
            return [fn(lang) for _, fn in relabel]

        # -- session start and language ---------------------------------------------------------------------
        async def on_load(request: gr.Request) -> list[Any]:
            user = user_of(settings, getattr(request, "username", None))
            lang = prefs.language(user, default_lang)
            state = {"name": user.name, "role": user.role, "language": user.language}
            control_choices: list[str] = []
            if may_write(user):
                with contextlib.suppress(OperatorError):
                    control_choices = sorted(await backend.writable())
            return [
                lang, state, gr.Radio(value=lang), who_text(user, lang), render_evidence(None, lang),
                control_text(user, lang), gr.Group(visible=may_write(user)), gr.Dropdown(choices=control_choices),
                *relabel_updates(lang),
            ]  # fmt: skip

        load_outputs = [lang_state, user_state, lang_sel, who, evidence, control_info, control_form, c_asset,
                        *relabel_outputs]  # fmt: skip
        ui.load(on_load, None, load_outputs)

        def on_language(lang: str, state: dict[str, Any] | None) -> list[Any]:
            user = user_from(state)
            prefs.set_language(user, lang)
            return [lang, who_text(user, lang), render_evidence(None, lang), control_text(user, lang),
                    *relabel_updates(lang)]  # fmt: skip

        lang_sel.input(on_language, [lang_sel, user_state],
                       [lang_state, who, evidence, control_info, *relabel_outputs])  # fmt: skip

        # -- chat -------------------------------------------------------------------------------------------
        def evidence_of(answer: Answer, lang: str) -> tuple[str, Any]:
            shown = dict(answer.result)
            shown["tool_calls"] = [*answer.result.get("tool_calls", []), *answer.extra_calls]
            fig = figure_for(shown["tool_calls"], lang)
            plot_update = gr.Plot(value=fig, visible=True) if fig is not None else gr.Plot(value=None, visible=False)
            return render_evidence(shown, lang, answer.notes), plot_update

        async def respond(message: str, history: list[dict[str, Any]] | None, lang: str,
                          asset: str | None, request: gr.Request):  # type: ignore[no-untyped-def]  # fmt: skip
            message = (message or "").strip()
            if not message:
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                return
            history = [*(history or []), {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
            yield "", history, gr.skip(), gr.skip(), gr.skip()
            q_lang = detect_language(message, fallback=lang)
            try:
                async for kind, payload in backend.ask_stream(message, q_lang, asset, _session(request)):
                    if kind == "delta":
                        history[-1] = {"role": "assistant", "content": payload}
                        yield gr.skip(), history, gr.skip(), gr.skip(), gr.skip()
                    else:
                        html, plot_update = evidence_of(payload, lang)
                        yield gr.skip(), history, html, plot_update, payload.asset or asset
            except OperatorError as exc:
                history[-1] = {"role": "assistant", "content": t(lang, "error_prefix", message=exc.message)}
                yield gr.skip(), history, render_evidence({"error": exc.message}, lang), gr.Plot(visible=False), asset

        chat_io = ([question, chat, lang_state, last_asset], [question, chat, evidence, plot, last_asset])
        ask_btn.click(
            respond, *chat_io, concurrency_id="ask", concurrency_limit=ui_workers(settings) * 2, api_name="ask"
        )
        question.submit(respond, *chat_io, concurrency_id="ask")

        def new_conversation(lang: str, request: gr.Request) -> tuple[Any, ...]:
            backend.forget(_session(request))
            return [], render_evidence(None, lang), gr.Plot(value=None, visible=False), None, ""

        new_btn.click(new_conversation, [lang_state], [chat, evidence, plot, last_asset, question], queue=False)

        # -- voice ------------------------------------------------------------------------------------------
        async def on_audio(path: str | None, lang: str) -> tuple[Any, Any]:
            if not path:
                return gr.skip(), gr.skip()
            try:
                names = [n for a in await backend.assets() for n in (a.display_name, a.browse_name)]
            except OperatorError:
                names = []
            heard = await asyncio.to_thread(stt.transcribe, path, lang, names, lang)
            if heard.empty:
                return "", f"**{heard.message}**"
            status = t(lang, "voice_heard", language=heard.language, seconds=heard.audio_seconds,
                       ms=heard.duration_ms)  # fmt: skip
            if heard.corrections:
                items = ", ".join(f"{c['heard']} → {c['asset']}" for c in heard.corrections)
                status += " " + t(lang, "voice_corrected", items=items)
            return heard.text, status

        audio.stop_recording(on_audio, [audio, lang_state], [transcript, voice_status], concurrency_id="stt",
                             concurrency_limit=1)  # fmt: skip
        audio.upload(on_audio, [audio, lang_state], [transcript, voice_status], concurrency_id="stt")

        async def on_voice_send(text: str, lang: str, asset: str | None, request: gr.Request) -> tuple[Any, ...]:
            text = (text or "").strip()
            if not text:
                return f"**{t(lang, 'voice_nothing_heard')}**", "", "", asset
            try:
                answer = await backend.ask(text, detect_language(text, fallback=lang), asset, _session(request))
            except OperatorError as exc:
                msg = t(lang, "error_prefix", message=exc.message)
                return msg, msg, render_evidence({"error": exc.message}, lang), asset
            html, _ = evidence_of(answer, lang)
            return answer.result.get("answer", ""), answer.result.get("answer", ""), html, answer.asset or asset

        voice_io = ([transcript, lang_state, last_asset], [voice_answer, voice_text, voice_evidence, last_asset])
        voice_send.click(on_voice_send, *voice_io, concurrency_id="ask")
        transcript.submit(on_voice_send, *voice_io, concurrency_id="ask")
        read_btn.click(None, [voice_text, locale], None, js=READ_ALOUD_JS)

        # -- overview ---------------------------------------------------------------------------------------
        async def refresh_overview(lang: str) -> tuple[Any, Any, Any]:
            try:
                data = await backend.overview()
            except OperatorError as exc:
                return gr.skip(), gr.skip(), t(lang, "overview_unreachable", message=exc.message)
            alarms = [[a.get("code"), a.get("severity"), a.get("source"),
                       (a.get("fields") or {}).get("MessageDE") if lang == "de" and (a.get("fields") or {}).get(
                           "MessageDE") else a.get("message"), a.get("time")] for a in data["alarms"]]  # fmt: skip
            status = t(lang, "overview_updated", time=_now())
            if not alarms:
                status += " · " + t(lang, "overview_no_alarms")
            return data["assets"], alarms, status

        async def refresh_plan(lang: str) -> tuple[Any, Any]:
            rows, reason = await backend.maintenance_plan(lang)
            return rows, "" if reason is None else t(lang, "overview_plan_unavailable", reason=reason)

        overview_out = [assets_df, alarms_df, overview_status]
        timer.tick(refresh_overview, [lang_state], overview_out, concurrency_id="overview", concurrency_limit=1,
                   show_progress="hidden")  # fmt: skip
        refresh_btn.click(refresh_overview, [lang_state], overview_out, concurrency_id="overview").then(
            refresh_plan, [lang_state], [plan_df, plan_note], concurrency_id="plan", concurrency_limit=1
        )
        tab_overview.select(refresh_overview, [lang_state], overview_out, concurrency_id="overview").then(
            refresh_plan, [lang_state], [plan_df, plan_note], concurrency_id="plan"
        )

        async def on_report(line: str, lang: str) -> tuple[Any, Any]:
            from assistant.report.ui import shift_report

            try:
                md, path = await backend.on_ops(lambda agent: shift_report(agent, line, lang))
            except OperatorError as exc:
                return None, t(lang, "report_failed", message=exc.message)
            return path, md

        report_btn.click(on_report, [report_line, lang_state], [report_file, report_md], concurrency_id="report")

        def on_asset_click(evt: gr.SelectData, table: Any, lang: str) -> tuple[Any, Any]:
            row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
            try:
                name = table.iloc[row, 0] if hasattr(table, "iloc") else table[row][0]
            except (IndexError, KeyError, TypeError):
                return gr.skip(), gr.skip()
            return t(lang, "prefill_question", asset=name), gr.Tabs(selected="chat")

        assets_df.select(on_asset_click, [assets_df, lang_state], [question, tabs])

        # -- control ----------------------------------------------------------------------------------------
        async def on_control_asset(asset_name: str | None) -> Any:
            if not asset_name:
                return gr.Dropdown(choices=[])
            signals = (await backend.writable()).get(asset_name, [])
            return gr.Dropdown(choices=[s.display_name for s in signals], value=None)

        c_asset.change(on_control_asset, [c_asset], [c_signal])

        async def on_control_signal(asset_name: str | None, signal_name: str | None, lang: str) -> Any:
            """Pre-fill the current value and show the allowed range beside the input."""
            if not (asset_name and signal_name):
                return gr.Number(value=None)
            try:
                signal, value = await backend.current(asset_name, signal_name)
            except OperatorError as exc:
                return gr.Number(value=None, info=exc.message)
            rng = (f"{signal.range_low:g} … {signal.range_high:g} {signal.unit}"
                   if signal.range_low is not None and signal.range_high is not None else signal.unit)  # fmt: skip
            return gr.Number(value=value, info=rng)

        c_signal.change(on_control_signal, [c_asset, c_signal, lang_state], [c_value])

        async def on_propose(asset_name: str | None, signal_name: str | None, value: float | None,
                             state: dict[str, Any] | None, lang: str) -> tuple[Any, ...]:  # fmt: skip
            user = user_from(state)
            if not (asset_name and signal_name) or value is None:
                return None, gr.Group(visible=False), "", t(lang, "control_no_signal")
            try:
                conf = await backend.propose(user.name, user.role, asset_name, signal_name, float(value))
            except OperatorError as exc:
                return None, gr.Group(visible=False), "", t(lang, "error_prefix", message=exc.message)
            rng = (f"{conf.range_low:g} … {conf.range_high:g} {conf.unit}"
                   if conf.range_low is not None and conf.range_high is not None else "–")  # fmt: skip
            body = t(lang, "control_dialog_body", summary=conf.summary(), node=conf.node_id, old=conf.old_value,
                     new=conf.new_value, unit=conf.unit, range=rng)  # fmt: skip
            return conf.id, gr.Group(visible=True), body, ""

        c_propose.click(on_propose, [c_asset, c_signal, c_value, user_state, lang_state],
                        [pending, dialog, dialog_body, control_status])  # fmt: skip

        async def on_decide(approve: bool, conf_id: str | None, state: dict[str, Any] | None,
                            lang: str) -> tuple[Any, ...]:  # fmt: skip
            user = user_from(state)
            if not conf_id:
                return None, gr.Group(visible=False), t(lang, "control_no_signal")
            try:
                res = await backend.confirm(conf_id, user.name, approve)
            except OperatorError as exc:
                return None, gr.Group(visible=False), t(lang, "error_prefix", message=exc.message)
            if not approve:
                return None, gr.Group(visible=False), t(lang, "control_rejected")
            if res.executed:
                return None, gr.Group(visible=False), t(lang, "control_done", summary=conf_id[:8], status=res.status)
            return None, gr.Group(visible=False), t(lang, "control_failed", status=res.status)

        async def on_confirm(conf_id: str | None, state: dict[str, Any] | None, lang: str) -> tuple[Any, ...]:
            return await on_decide(True, conf_id, state, lang)

        async def on_reject(conf_id: str | None, state: dict[str, Any] | None, lang: str) -> tuple[Any, ...]:
            return await on_decide(False, conf_id, state, lang)

        decide_io = ([pending, user_state, lang_state], [pending, dialog, control_status])
        c_confirm.click(on_confirm, *decide_io)
        c_reject.click(on_reject, *decide_io)

    ui.backend = backend  # type: ignore[attr-defined]  # for callers that shut it down
    return ui


def _launch_kwargs(settings: Settings) -> dict[str, Any]:
    host, forced = bind_host(settings)
    if forced:
        print(f"no users configured: the UI listens on 127.0.0.1 only (ui.host {settings.ui.host} ignored)",
              flush=True)  # fmt: skip
    kwargs: dict[str, Any] = {
        "server_name": host,
        "server_port": settings.ui.port,
        "show_error": True,
        "share": False,
        "ssr_mode": False,
        "css_paths": [STYLE],
        "head": HEAD_JS,
        "footer_links": [],
    }
    if login_required(settings):
        kwargs["auth"] = authenticator(settings)
        kwargs["auth_message"] = t(settings.language, "auth_message")
    cert, key = getattr(settings.ui, "ssl_certfile", None), getattr(settings.ui, "ssl_keyfile", None)
    if cert and key:
        kwargs.update(ssl_certfile=str(cert), ssl_keyfile=str(key), ssl_verify=False)
    return kwargs


def start(settings: Settings) -> tuple[gr.Blocks, str]:
    """Start the UI in background threads (tests, load script); returns the app and its local URL."""
    ui = build_app(settings)
    ui.queue(default_concurrency_limit=ui_workers(settings), max_size=ui_max_queue(settings))
    _, url, _ = ui.launch(prevent_thread_lock=True, quiet=True, **_launch_kwargs(settings))
    return ui, url


def launch(settings: Settings) -> None:
    """Serve the UI until interrupted."""
    ui = build_app(settings)
    kwargs = _launch_kwargs(settings)
    scheme = "https" if "ssl_certfile" in kwargs else "http"
    print(f"IIoT Assistant UI at {scheme}://{kwargs['server_name']}:{settings.ui.port}", flush=True)
    ui.queue(default_concurrency_limit=ui_workers(settings), max_size=ui_max_queue(settings))
    try:
        ui.launch(**kwargs)
    finally:
        ui.backend.close()  # type: ignore[attr-defined]
