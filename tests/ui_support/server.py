"""The UI served in-process (background threads) against a running plant, with test users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.config import EndpointSettings, Settings, UserSettings
from assistant.security.passwords import hash_password

PASSWORDS = {"olga": "operator-pass-1", "erik": "engineer-pass-1", "lena": "operator-pass-2"}
TEST_ITERATIONS = 100_000  # fast logins in tests; the CLI default is 600 000


def test_users() -> list[UserSettings]:
    return [
        UserSettings(name="olga", password_hash=hash_password(PASSWORDS["olga"], TEST_ITERATIONS), role="operator",
                     language="en"),
        UserSettings(name="erik", password_hash=hash_password(PASSWORDS["erik"], TEST_ITERATIONS), role="engineer",
                     language="de"),
        # lena's language choice is changed by a test; nobody else's remembered choice depends on that test
        UserSettings(name="lena", password_hash=hash_password(PASSWORDS["lena"], TEST_ITERATIONS), role="operator",
                     language="en"),
    ]  # fmt: skip


def ui_settings(endpoint: str, data_dir: Path, cache_dir: Path, port: int, users: bool = True,
                writes: bool = True) -> Settings:  # fmt: skip
    s = Settings(data_dir=data_dir, cache_dir=cache_dir)
    s.opcua.endpoints = [EndpointSettings(url=endpoint)]
    s.opcua.writes_enabled = writes
    s.ui.port = port
    s.users = test_users() if users else []
    return s


def start_ui(settings: Settings) -> tuple[Any, str]:
    from assistant.ui.app import start

    return start(settings)


def stop_ui(app: Any) -> None:
    app.close()
    app.backend.close()
