"""Append-only JSON-lines logs in the data folder: ``logs/audit.jsonl`` (plant writes and method calls, allowed
or refused) and ``logs/tool_calls.jsonl`` (every tool call the assistant makes)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()


class JsonlLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, event: str, **fields: Any) -> dict[str, Any]:
        row = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, **fields}
        line = json.dumps(row, ensure_ascii=False, default=str)
        with _LOCK, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        return row

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


def audit_log(data_dir: Path) -> JsonlLog:
    return JsonlLog(data_dir.expanduser() / "logs" / "audit.jsonl")


def tool_call_log(data_dir: Path) -> JsonlLog:
    return JsonlLog(data_dir.expanduser() / "logs" / "tool_calls.jsonl")
