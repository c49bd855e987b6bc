"""Password hashes for the UI's users: PBKDF2-SHA256 (hashlib), stored as ``pbkdf2_sha256$iterations$salt$hash``.

Salt and hash are URL-safe base64 without padding. Verification runs in constant time; a malformed stored hash
never verifies. ``iiot-assistant users hash`` prints a hash to paste into ``[[users]]`` of the settings file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Annotated

import typer

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000
MIN_PASSWORD_CHARS = 8


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None) -> str:
    """A new hash of ``password`` (random 16-byte salt unless given)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for a wrong password or a malformed hash."""
    try:
        algorithm, iterations, salt, digest = stored.split("$")
        if algorithm != ALGORITHM or int(iterations) < 1:
            return False
        expected = _unb64(digest)
        got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), _unb64(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


users_app = typer.Typer(no_args_is_help=True, help="UI users: hash passwords for the settings file.")


@users_app.callback()
def _users() -> None:
    """UI users: hash passwords for the settings file."""


@users_app.command("hash")
def users_hash(
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="the password")
    ],
    iterations: Annotated[int, typer.Option("--iterations", min=100_000)] = DEFAULT_ITERATIONS,
) -> None:
    """Print a password hash for ``[[users]] password_hash = "..."`` in the settings file."""
    if len(password) < MIN_PASSWORD_CHARS:
        typer.echo(f"error: a password needs at least {MIN_PASSWORD_CHARS} characters", err=True)
        raise typer.Exit(2)
    typer.echo(hash_password(password, iterations))
