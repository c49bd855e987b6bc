"""Helpers for the browser tests: the UI against a demo plant, Chromium via Playwright, audio fixtures."""
