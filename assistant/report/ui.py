"""The UI's "Shift report" button: the last shift's handover report for a line (or the plant), as Markdown to show
and an HTML file to download, in the operator's language. Uses the UI agent's historian and OPC UA adapter."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import OperatorError


async def shift_report(agent: Any, line: str | None, language: str, shift: str | None = None) -> tuple[str, str]:
    """(markdown, path of the HTML file) of the shift report."""
    from assistant.report.builder import build_shift_report
    from assistant.report.render import to_html, to_markdown

    if agent.historian is None:
        raise OperatorError("no historian data yet: start the collector (iiot-assistant collect or demo)")
    report = await build_shift_report(agent.settings, agent.historian, agent.adapter, line=(line or "").strip() or None,
                                      shift=shift, language=language)  # fmt: skip
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    body = to_html(report)
    agent.settings.path("reports", f"shift-report-{stamp}.html").write_text(body, encoding="utf-8")
    # the UI serves downloads from the temp folder (Gradio's allowed paths); the data folder keeps the record
    path = Path(tempfile.mkdtemp(prefix="iiot-report-")) / f"shift-report-{stamp}.html"
    path.write_text(body, encoding="utf-8")
    return to_markdown(report), str(path)
