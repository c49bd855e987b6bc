"""Scripted evaluation of answer accuracy (``iiot-assistant eval``): suites as data, truth from the plant.

- :mod:`.suite` — the YAML suite format (cases, expectations, expected tool calls, the CI gate).
- :mod:`.truth` — truth computed at evaluation time from the systems (OPC UA reads, history, alarms, faults).
- :mod:`.scoring` — deterministic scorers: numbers with tolerance and unit, tool calls, citations, kinds,
  groundedness.
- :mod:`.runner` — runs suites against a running system (the demo plant in-process by default) in one or more
  modes, with baselines; :mod:`.metrics` aggregates; :mod:`.report` writes Markdown, JSON and HTML;
  :mod:`.compare` puts two runs side by side; :mod:`.commands` is the CLI.
"""

from __future__ import annotations
