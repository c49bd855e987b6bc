"""Maintenance models as tools: bearing/pump physics generator, fault diagnosis, remaining useful life,
anomaly detection and maintenance planning, served as typed tool functions over a data-source protocol.

Modules: :mod:`physics` (generator, also used by the demo plant), :mod:`features`, :mod:`diagnosis`,
:mod:`rul`, :mod:`anomaly`, :mod:`planning`, :mod:`registry`, :mod:`datasource`, :mod:`tools`, :mod:`commands`.
"""

from __future__ import annotations
