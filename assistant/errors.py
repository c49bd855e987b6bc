"""Errors an operator can read: every failure that reaches the CLI or UI is one of these, with a one-line message."""

from __future__ import annotations


class OperatorError(Exception):
    """A failure explained in one line an operator understands. ``exit_code`` is what the CLI returns."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadQuestion(OperatorError):
    exit_code = 2


class EndpointUnreachable(OperatorError):
    exit_code = 3


class UnknownAsset(OperatorError):
    exit_code = 4


class UnknownSignal(OperatorError):
    exit_code = 4


class ModelMissing(OperatorError):
    exit_code = 5


class NotAllowed(OperatorError):
    exit_code = 6
