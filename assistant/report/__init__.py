"""The shift handover report: content from the KPI, alarm, maintenance and document tools (``builder``), written
as Markdown, HTML (with plotly charts) or PDF (``render``); ``commands`` is the ``iiot-assistant report`` CLI."""
