"""IIoT Assistant: the host — settings, language, planning, grounded answers, CLI and UI."""

__version__ = "0.1.0"
