"""The demo plant served over OPC UA (asyncua): address space from the layout, values stepped in plant time.

Plant time runs ``acceleration`` times faster than the wall clock; values carry plant time as their source
timestamp. Every analog variable has EngineeringUnits (UNECE) and EURange properties and a description.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asyncua import Server, ua

from assistant.config import SimSettings
from assistant.sim.layout import PlantLayout, demo_layout
from assistant.sim.physics import AssetModel, SignalSpec, make_model
from tools.opcua.units import UNECE_NAMESPACE, unit_id

NAMESPACE_URI = "urn:iiot-assistant:demo-plant"
ENDPOINT_PATH = "/iiot/demo"
log = logging.getLogger(__name__)


def _eu(spec: SignalSpec) -> ua.EUInformation:
    return ua.EUInformation(
        NamespaceUri=UNECE_NAMESPACE,
        UnitId=unit_id(spec.unit_code),
        DisplayName=ua.LocalizedText(spec.unit),
        Description=ua.LocalizedText(spec.unit),
    )


def _variant(spec: SignalSpec, value: Any) -> ua.Variant:
    if spec.kind == "bool":
        return ua.Variant(bool(value), ua.VariantType.Boolean)
    if spec.kind == "counter" and not spec.unit:
        return ua.Variant(int(value), ua.VariantType.UInt32)
    return ua.Variant(float(value), ua.VariantType.Double)


async def _describe(node: Any, text: str) -> None:
    await node.write_attribute(
        ua.AttributeIds.Description,
        ua.DataValue(ua.Variant(ua.LocalizedText(text, "en"), ua.VariantType.LocalizedText)),
    )


@dataclass
class _Bound:
    model: AssetModel
    nodes: dict[str, tuple[ua.NodeId, SignalSpec]] = field(default_factory=dict)


class PlantServer:
    """Start with :meth:`start`, stop with :meth:`stop`; ``endpoint`` is the URL clients use."""

    def __init__(
        self,
        settings: SimSettings,
        layout: PlantLayout | None = None,
        faults: dict[str, dict[str, float]] | None = None,
    ) -> None:
        self.settings = settings
        self.layout = layout or demo_layout()
        self.endpoint = f"opc.tcp://{settings.host}:{settings.port}{ENDPOINT_PATH}"
        self.server = Server()
        self._bound: dict[str, _Bound] = {}
        self._faults = faults or {}
        self._task: asyncio.Task[None] | None = None
        self._wall0 = time.time()
        self._plant0 = self._wall0
        self.plant_time = self._plant0

    def plant_now(self) -> float:
        return self._plant0 + (time.time() - self._wall0) * self.settings.acceleration

    async def _build(self) -> None:
        srv = self.server
        idx = await srv.register_namespace(NAMESPACE_URI)
        parents: dict[tuple[str, ...], Any] = {}

        async def folder(path: tuple[str, ...]) -> Any:
            if path in parents:
                return parents[path]
            parent = srv.nodes.objects if len(path) == 1 else await folder(path[:-1])
            node = await parent.add_object(ua.NodeId(".".join(path), idx), ua.QualifiedName(path[-1], idx))
            parents[path] = node
            return node

        for path, spec in self.layout.assets():
            parent = await folder(tuple(path))
            asset_path = (*path, spec.id)
            asset = await parent.add_object(ua.NodeId(".".join(asset_path), idx), ua.QualifiedName(spec.id, idx))
            await _describe(asset, spec.description_en)
            model = make_model(spec, self.settings.seed)
            model.faults.update(self._faults.get(spec.id, {}))
            bound = _Bound(model)
            values = model.step(self.plant_time, self.settings.period_s)
            for sig in model.signals:
                nid = ua.NodeId(".".join((*asset_path, sig.name)), idx)
                var = await asset.add_variable(nid, ua.QualifiedName(sig.name, idx), _variant(sig, values[sig.name]))
                await _describe(var, sig.description)
                if sig.kind == "analog" or (sig.kind == "counter" and sig.unit):
                    await var.add_property(0, "EngineeringUnits", _eu(sig))
                    await var.add_property(0, "EURange", ua.Range(Low=float(sig.low or 0), High=float(sig.high or 0)))
                bound.nodes[sig.name] = (nid, sig)
            self._bound[spec.id] = bound

    async def start(self) -> None:
        await self.server.init()
        self.server.set_endpoint(self.endpoint)
        self.server.set_server_name("IIoT Assistant demo plant")
        await self.server.set_application_uri("urn:iiot-assistant:demo-plant:server")
        self.server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        await self._build()
        await self.server.start()
        self._wall0 = time.time()
        self._plant0 = self._wall0
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.server.stop()

    async def _publish(self, t: float, dt: float) -> None:
        ts = datetime.fromtimestamp(t, UTC)
        for bound in self._bound.values():
            values = bound.model.step(t, dt)
            for name, (nid, sig) in bound.nodes.items():
                dv = ua.DataValue(_variant(sig, values[name]), SourceTimestamp=ts, ServerTimestamp=datetime.now(UTC))
                await self.server.write_attribute_value(nid, dv)

    async def _run(self) -> None:
        period = self.settings.period_s
        wall_period = max(0.05, period / self.settings.acceleration)
        while True:
            now = self.plant_now()
            dt = max(0.0, now - self.plant_time)
            # catch up in physics steps of at most a minute so accelerated time stays stable
            step = max(period, 60.0)
            while dt > step:
                self.plant_time += step
                dt -= step
                for bound in self._bound.values():
                    bound.model.step(self.plant_time, step)
            self.plant_time = now
            await self._publish(now, max(dt, 1e-3))
            await asyncio.sleep(wall_period)


async def serve_forever(settings: SimSettings, ready: asyncio.Event | None = None) -> None:
    plant = PlantServer(settings)
    await plant.start()
    log.info("demo plant serving at %s", plant.endpoint)
    if ready:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await plant.stop()
