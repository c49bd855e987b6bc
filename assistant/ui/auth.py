"""Who is using the UI: login against ``settings.users`` (hashed passwords), roles, and remembered preferences.

Without configured users there is no login: the UI then serves loopback only (:func:`bind_host`) and everyone
is the local ``operator``. Each user's UI language is remembered in ``<data_dir>/ui/preferences.json``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings, UserSettings
from assistant.security.passwords import verify_password

LOCAL_USER = "local"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    language: str | None = None


def login_required(settings: Settings) -> bool:
    return bool(settings.users)


def bind_host(settings: Settings) -> tuple[str, bool]:
    """The host to listen on and whether it was forced to loopback (no users configured)."""
    if not login_required(settings) and settings.ui.host not in LOOPBACK:
        return "127.0.0.1", True
    return settings.ui.host, False


def authenticator(settings: Settings) -> Callable[[str, str], bool]:
    users = {u.name: u for u in settings.users}

    def check(username: str, password: str) -> bool:
        u: UserSettings | None = users.get(username)
        return u is not None and verify_password(password, u.password_hash)

    return check


def user_of(settings: Settings, username: str | None) -> User:
    """The signed-in user (the local operator when there is no login)."""
    for u in settings.users:
        if u.name == username:
            return User(u.name, u.role, u.language)
    return User(username or LOCAL_USER, "operator", None)


class Preferences:
    """Per-user UI preferences (language), a small JSON file written atomically."""

    def __init__(self, settings: Settings) -> None:
        self.path: Path = settings.path("ui", "preferences.json")
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def language(self, user: User, default: str) -> str:
        return self._read().get(user.name, {}).get("language") or user.language or default

    def set_language(self, user: User, language: str) -> None:
        with self._lock:
            data = self._read()
            data.setdefault(user.name, {})["language"] = language
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            tmp.replace(self.path)
