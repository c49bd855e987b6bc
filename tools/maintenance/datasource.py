"""What the maintenance tools read, as a Protocol (the lead implements it over OPC UA + historian), and an
in-memory implementation fed by the physics generator — a test double and the evaluation's data source.

Timestamps in histories are float epoch seconds (UTC) or numpy datetime64; :func:`anomaly.to_epoch` takes both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.errors import OperatorError, UnknownAsset
from tools.maintenance.physics import (
    DEFAULT_BEARING_FOR_KIND,
    BearingGeometry,
    RunToFailure,
    bearing_waveform,
    get_bearing,
    machine_profile,
    normalize_fault,
    process_signals,
    recommended_fs,
    vibration_rms,
)


class NoData(OperatorError):
    """The asset exists but the source has no (or too little) data for the question."""

    exit_code = 4


@dataclass(frozen=True)
class Waveform:
    samples: np.ndarray  # acceleration, m/s²
    fs_hz: float
    shaft_rpm: float
    bearing: BearingGeometry | None
    timestamp: datetime


@dataclass(frozen=True)
class AssetInfo:
    id: str
    kind: str  # pump | spindle | compressor | conveyor | tank | ...
    line: str
    signals: tuple[str, ...]
    nominal_rpm: float | None = None
    has_waveform: bool = False
    # {signal: role} (``tools.maintenance.roles``); read from the signal names when not given
    roles: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.roles:
            from tools.maintenance.roles import roles_by_name

            object.__setattr__(self, "roles", roles_by_name(self.signals))

    def signal(self, role: str) -> str | None:
        """The asset's first signal that plays ``role`` (``vibration``, ``running``, ``speed``, ``load`` …)."""
        return next((s for s in self.signals if self.roles.get(s) == role), None)

    def role(self, signal: str) -> str:
        """What ``signal`` is to the maintenance models (``Loaded.duty`` → ``loaded.duty``); "" when unknown."""
        name, _, derived = signal.partition(".")
        role = self.roles.get(name, "")
        return f"{role}.{derived}" if role and derived else role


@runtime_checkable
class MaintenanceDataSource(Protocol):
    def assets(self) -> list[AssetInfo]: ...

    def vibration_waveform(self, asset_id: str) -> Waveform:
        """The latest housing acceleration waveform; raises NoData when the asset has none."""
        ...

    def history(
        self, asset_id: str, signals: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """{signal: (timestamps, values)} for the signals that have data in [start, end]."""
        ...

    def now(self) -> datetime:
        """Plant time (the demo plant may run accelerated)."""
        ...


def find_asset(source: MaintenanceDataSource, asset_id: str) -> AssetInfo:
    assets = source.assets()
    for a in assets:
        if a.id == asset_id:
            return a
    norm = asset_id.replace("-", "").replace(" ", "").lower()
    for a in assets:
        if a.id.replace("-", "").lower() == norm:
            return a
    raise UnknownAsset(f"unknown asset '{asset_id}' (known: {', '.join(a.id for a in assets)})")


@dataclass
class _Asset:
    info: AssetInfo
    t: np.ndarray
    signals: dict[str, np.ndarray]
    waveform: Callable[[], Waveform] | None = None


@dataclass
class InMemorySource:
    """A :class:`MaintenanceDataSource` over arrays held in memory."""

    clock: datetime
    _assets: dict[str, _Asset] = field(default_factory=dict)

    def add(self, info: AssetInfo, t: np.ndarray, signals: dict[str, np.ndarray],
            waveform: Callable[[], Waveform] | None = None) -> None:  # fmt: skip
        self._assets[info.id] = _Asset(info, np.asarray(t, float), signals, waveform)

    def assets(self) -> list[AssetInfo]:
        return [a.info for a in self._assets.values()]

    def _get(self, asset_id: str) -> _Asset:
        info = find_asset(self, asset_id)
        return self._assets[info.id]

    def vibration_waveform(self, asset_id: str) -> Waveform:
        a = self._get(asset_id)
        if a.waveform is None:
            raise NoData(f"asset '{a.info.id}' has no vibration waveform")
        return a.waveform()

    def history(
        self, asset_id: str, signals: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        a = self._get(asset_id)
        sel = (a.t >= start.timestamp()) & (a.t <= end.timestamp())
        return {s: (a.t[sel], a.signals[s][sel]) for s in signals if s in a.signals and sel.any()}

    def now(self) -> datetime:
        return self.clock


def _bearing_severity(t: np.ndarray, faults: dict[str, float]) -> tuple[str, np.ndarray]:
    """The demo plant's bearing faults: linear growth to full over 8 (outer) / 6 (inner) days."""
    for name, days in (("bearing_outer", 8.0), ("bearing_inner", 6.0)):
        if name in faults:
            return normalize_fault(name), np.clip((t - faults[name]) / (days * 86400.0), 0.0, 1.0)
    return "normal", np.zeros_like(t)


def demo_source(
    now: datetime | None = None,
    faults: dict[str, tuple[str, float]] | None = None,
    *,
    days: float = 14.0,
    step_s: float = 60.0,
    seed: int = 42,
    assets: Sequence[str] | None = None,
) -> InMemorySource:
    """The demo plant's pumps, compressors and spindles generated by :mod:`physics`.

    ``faults``: {asset id: (simulator fault name, started hours before ``now``)}. The scalar Vibration of
    assets with a bearing is the RMS of the waveform physics (:func:`physics.vibration_rms`).
    """
    from assistant.sim.layout import demo_layout  # data only; the sim does not import this module

    now = now or datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    faults = faults or {}
    src = InMemorySource(now)
    t = np.arange(now.timestamp() - days * 86400.0, now.timestamp() + step_s / 2, step_s)
    for path, spec in demo_layout().assets():
        if spec.kind not in ("pump", "spindle", "compressor") or (assets is not None and spec.id not in assets):
            continue
        asset_seed = (seed * 1_000_003 + sum(ord(c) * 31**i for i, c in enumerate(spec.id))) % 2**32
        rng = np.random.default_rng(asset_seed)
        fmap = {}
        if spec.id in faults:
            name, hours_ago = faults[spec.id]
            fmap[name] = now.timestamp() - hours_ago * 3600.0
        data = process_signals(spec.kind, t, fmap, rng, dict(spec.params))
        nominal = float(spec.params.get("nominal_rpm", 12000.0 if spec.kind == "spindle" else 2950.0))
        if spec.kind == "compressor":
            nominal = 2950.0
        geometry = get_bearing(DEFAULT_BEARING_FOR_KIND[spec.kind])
        machine = machine_profile(spec.id)
        wave_fault, sev = _bearing_severity(t, fmap)
        if "cavitation" in fmap:
            wave_fault, sev = "cavitation", np.clip((t - fmap["cavitation"]) / (2 * 86400.0), 0, 1)
        rpm = data.get("Speed", np.where(data["Running"] > 0.5, nominal, 0.0))
        vib = vibration_rms(geometry, rpm, wave_fault, sev, machine, nominal_rpm=nominal)
        data["Vibration"] = np.asarray(vib) * rng.lognormal(0, 0.03, t.size)
        info = AssetInfo(spec.id, spec.kind, path[-1], tuple(data), nominal, True)

        def wave(geometry=geometry, machine=machine, nominal=nominal, f=wave_fault, s=float(sev[-1]),
                 aid=spec.id) -> Waveform:  # fmt: skip
            fs = recommended_fs(nominal)
            rng_w = np.random.default_rng(abs(hash((aid, seed))) % 2**32)
            x = bearing_waveform(geometry, nominal, f, s, fs, 8192, rng_w, machine=machine, nominal_rpm=nominal)
            return Waveform(x, fs, nominal, geometry, now)

        src.add(info, t, data, wave)
    return src


def run_source(run: RunToFailure, now_h: float, asset_id: str = "B-1", kind: str = "pump",
               seed: int = 0) -> InMemorySource:  # fmt: skip
    """An asset living one generated run-to-failure life, observed at calendar hour ``now_h``."""
    t0 = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, as the run's calendar
    clock = t0 + timedelta(hours=now_h)
    src = InMemorySource(clock)
    sel = run.hours <= now_h
    t = t0.timestamp() + run.hours[sel] * 3600.0
    data = {"Running": run.running[sel].astype(float), "Speed": run.rpm[sel], "Vibration": run.vib_rms[sel]}

    def wave() -> Waveform:
        x, fs, rpm = run.waveform_at(now_h, np.random.default_rng(seed))
        return Waveform(x, fs, rpm, run.geometry, clock)

    src.add(AssetInfo(asset_id, kind, "TestLine", tuple(data), run.nominal_rpm, True), t, data, wave)
    return src
