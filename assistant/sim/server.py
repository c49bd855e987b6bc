"""The demo plant served over OPC UA (asyncua): address space, live values, history, alarms, faults, security.

- Address space: Objects/<Site>/<Area>/<Line>/<Asset>/<Signal>, with descriptions, EngineeringUnits (UNECE) and
  EURange on analog variables; ``LevelSetpoint`` of tanks is writable. Production machines add ``MachineState``
  (UInt32 code with EnumStrings), ``StopReason`` (String), good/scrap counters, ideal cycle time, energy meter.
- Time: plant time runs ``acceleration`` times the wall clock; values carry plant time as source timestamp.
- History: every variable is historized (HistoryRead) at ``history_interval_s``; ``backfill_days`` generates past
  plant life at start, alarms included.
- Alarms: ``PlantAlarmEventType`` events (code, state, asset, EN message + German ``MessageDE``) emitted by the
  ``Alarms`` object, with event history; methods ``Alarms.Acknowledge`` and ``Alarms.Reset`` (trip alarms latch).
- Faults: switched on by settings (``sim.faults``) or by ``Simulation.InjectFault`` / ``Simulation.ClearFault``.
- Security: None (loopback default) or Basic256Sha256 Sign/SignAndEncrypt with a generated certificate and an
  optional trust store; user names and passwords with roles (operators may not write or call methods).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncua import Server, ua, uamethod
from asyncua.crypto.permission_rules import PermissionRuleset, SimpleRoleRuleset, User, UserRole

from assistant.config import SimSettings
from assistant.sim.alarms import AlarmEngine, AlarmTransition, alarm_limits
from assistant.sim.history import PlantHistory
from assistant.sim.layout import PlantLayout, demo_layout
from assistant.sim.physics import FAULTS, AssetModel, SignalSpec, make_model
from assistant.sim.production import state_names
from tools.opcua.units import UNECE_NAMESPACE, unit_id

NAMESPACE_URI = "urn:iiot-assistant:demo-plant"
ENDPOINT_PATH = "/iiot/demo"
WAVEFORM_KINDS = ("pump", "spindle", "compressor")
WAVEFORM_PERIOD_S = 10.0  # plant seconds between condition-monitoring snapshots
WAVEFORM_SAMPLES = 8192
NOMINAL_RPM = {"compressor": 2980.0, "spindle": 12000.0}  # speed of a snapshot taken before the plant started
SERVER_APP_URI = "urn:iiot-assistant:demo-plant:server"
log = logging.getLogger(__name__)

_POLICIES = {
    "None": ua.SecurityPolicyType.NoSecurity,
    "Basic256Sha256_Sign": ua.SecurityPolicyType.Basic256Sha256_Sign,
    "Basic256Sha256_SignAndEncrypt": ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
}


def _eu(spec: SignalSpec) -> ua.EUInformation:
    return ua.EUInformation(
        NamespaceUri=UNECE_NAMESPACE,
        UnitId=unit_id(spec.unit_code),
        DisplayName=ua.LocalizedText(spec.unit),
        Description=ua.LocalizedText(spec.unit),
    )


def _variant_type(spec: SignalSpec) -> ua.VariantType:
    if spec.kind == "bool":
        return ua.VariantType.Boolean
    if spec.kind == "state" or (spec.kind == "counter" and not spec.unit):
        return ua.VariantType.UInt32
    if spec.kind == "text":
        return ua.VariantType.String
    return ua.VariantType.Double


def _variant(spec: SignalSpec, value: Any) -> ua.Variant:
    vt = _variant_type(spec)
    if vt == ua.VariantType.Boolean:
        return ua.Variant(bool(value), vt)
    if vt == ua.VariantType.UInt32:
        return ua.Variant(int(value), vt)
    if vt == ua.VariantType.String:
        return ua.Variant(str(value), vt)
    return ua.Variant(float(value), vt)


async def _describe(node: Any, text: str) -> None:
    await node.write_attribute(
        ua.AttributeIds.Description,
        ua.DataValue(ua.Variant(ua.LocalizedText(text, "en"), ua.VariantType.LocalizedText)),
    )


class _PlantUsers:
    """asyncua user manager over the configured sim users."""

    def __init__(self, settings: SimSettings) -> None:
        self.users = {u.name: u for u in settings.users}

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        u = self.users.get(username or "")
        if u is None or u.password != password:
            return None
        return User(role=UserRole.Admin if u.role == "admin" else UserRole.User, name=u.name)


_DENIED_TO_OPERATORS = frozenset(
    {
        ua.NodeId(ua.ObjectIds.WriteRequest_Encoding_DefaultBinary),
        ua.NodeId(ua.ObjectIds.CallRequest_Encoding_DefaultBinary),
    }
)


class _PlantRoles(PermissionRuleset):
    """Operators read, browse, subscribe and read history; engineers and admins may also write and call."""

    def __init__(self, settings: SimSettings) -> None:
        self._roles = {u.name: u.role for u in settings.users}
        self._base = SimpleRoleRuleset()

    def check_validity(self, user: User, action_type_id: ua.NodeId, body: Any) -> bool:
        if self._roles.get(user.name or "") == "operator" and action_type_id in _DENIED_TO_OPERATORS:
            return False
        return bool(self._base.check_validity(user, action_type_id, body))


@dataclass
class _Bound:
    model: AssetModel
    node: Any
    nodes: dict[str, tuple[ua.NodeId, SignalSpec]] = field(default_factory=dict)
    waveform: tuple[ua.NodeId, ua.NodeId, ua.NodeId] | None = None  # (samples, sample-rate, shaft-speed property)
    waveform_at: float = -1e18
    waveform_published: bool = False


class PlantServer:
    """Start with :meth:`start`, stop with :meth:`stop`; ``endpoint`` is the URL clients use."""

    def __init__(self, settings: SimSettings, data_dir: Path | None = None, layout: PlantLayout | None = None) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.layout = layout or demo_layout()
        self.endpoint = f"opc.tcp://{settings.host}:{settings.port}{ENDPOINT_PATH}"
        self.history = PlantHistory()
        self.alarms = AlarmEngine()
        self.server = Server(user_manager=_PlantUsers(settings) if settings.users else None)
        self._bound: dict[str, _Bound] = {}
        self._task: asyncio.Task[None] | None = None
        self._wall0 = time.time()
        self._plant0 = self._wall0
        self.plant_time = self._plant0
        self._last_history = 0.0
        self._alarm_gen: Any = None
        self._alarms_node: Any = None
        self.ns = 0

    # -- time ---------------------------------------------------------------------------------------------------
    def plant_now(self) -> float:
        return self._plant0 + (time.time() - self._wall0) * self.settings.acceleration

    # -- faults -------------------------------------------------------------------------------------------------
    def inject_fault(self, asset: str, fault: str, started_hours_ago: float = 0.0) -> None:
        if asset not in self._bound:
            raise KeyError(f"unknown asset {asset!r}")
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        self._bound[asset].model.faults[fault] = self.plant_time - started_hours_ago * 3600.0

    def clear_fault(self, asset: str, fault: str) -> None:
        self._bound[asset].model.faults.pop(fault, None)

    # -- address space ------------------------------------------------------------------------------------------
    async def _build(self) -> None:
        srv = self.server
        idx = self.ns = await srv.register_namespace(NAMESPACE_URI)
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
            model = make_model(spec, self.settings.seed, self.settings.production_days)
            bound = _Bound(model, asset)
            values = model.step(self.plant_time, self.settings.period_s)
            for sig in model.signals:
                nid = ua.NodeId(".".join((*asset_path, sig.name)), idx)
                var = await asset.add_variable(nid, ua.QualifiedName(sig.name, idx), _variant(sig, values[sig.name]))
                await _describe(var, sig.description)
                if sig.kind == "analog" or (sig.kind == "counter" and sig.unit):
                    await var.add_property(0, "EngineeringUnits", _eu(sig))
                    await var.add_property(0, "EURange", ua.Range(Low=float(sig.low or 0), High=float(sig.high or 0)))
                    for name, limit in alarm_limits(spec.kind, sig.name).items():
                        await var.add_property(0, name, limit)
                if sig.kind == "state":
                    names = [ua.LocalizedText(n, "en") for _, n in sorted(state_names().items())]
                    await var.add_property(0, "EnumStrings", ua.Variant(names, ua.VariantType.LocalizedText))
                if sig.writable:
                    await var.set_writable()
                await var.write_attribute(ua.AttributeIds.Historizing, ua.DataValue(True))
                await var.set_attr_bit(ua.AttributeIds.AccessLevel, ua.AccessLevel.HistoryRead)
                await var.set_attr_bit(ua.AttributeIds.UserAccessLevel, ua.AccessLevel.HistoryRead)
                self.history.register(nid, _variant_type(sig))
                bound.nodes[sig.name] = (nid, sig)
            if spec.kind in WAVEFORM_KINDS:
                nid = ua.NodeId(".".join((*asset_path, "VibrationWaveform")), idx)
                var = await asset.add_variable(
                    nid, ua.QualifiedName("VibrationWaveform", idx), ua.Variant([0.0] * 16, ua.VariantType.Double)
                )
                await var.write_attribute(ua.AttributeIds.ValueRank, ua.DataValue(ua.Variant(1, ua.VariantType.Int32)))
                await _describe(var, "Bearing housing acceleration waveform (m/s²) of the condition monitoring sensor")
                accel = SignalSpec("VibrationWaveform", "", "MSK", "m/s²", -500.0, 500.0)
                await var.add_property(0, "EngineeringUnits", _eu(accel))
                await var.add_property(0, "EURange", ua.Range(Low=accel.low, High=accel.high))
                fs = await var.add_property(idx, "SampleRateHz", 12800.0)
                await fs.write_attribute(ua.AttributeIds.Description, ua.DataValue(ua.Variant(ua.LocalizedText("Hz"))))
                rpm = await var.add_property(idx, "ShaftSpeedRpm", 0.0)
                await rpm.write_attribute(ua.AttributeIds.Description,
                                          ua.DataValue(ua.Variant(ua.LocalizedText("rpm at capture"))))  # fmt: skip
                bound.waveform = (nid, fs.nodeid, rpm.nodeid)
            self._bound[spec.id] = bound
        await self._build_alarms(await folder((self.layout.site,)), idx)
        await self._build_simulation(await folder((self.layout.site,)), idx)

    async def _build_alarms(self, site: Any, idx: int) -> None:
        etype = await self.server.create_custom_event_type(
            idx, "PlantAlarmEventType", ua.ObjectIds.BaseEventType,
            [("AlarmCode", ua.VariantType.String), ("AlarmState", ua.VariantType.String),
             ("AssetId", ua.VariantType.String), ("MessageDE", ua.VariantType.String),
             ("TriggerValue", ua.VariantType.Double), ("Limit", ua.VariantType.Double)],
        )  # fmt: skip
        alarms = await site.add_object(ua.NodeId(f"{self.layout.site}.Alarms", idx), ua.QualifiedName("Alarms", idx))
        await _describe(alarms, "Plant alarms: events with codes, acknowledge and reset")
        self._alarms_node = alarms
        self._alarm_gen = await self.server.get_event_generator(etype, alarms)
        # after the generator (which sets SubscribeToEvents only): this notifier also serves event history
        await alarms.write_attribute(
            ua.AttributeIds.EventNotifier,
            ua.DataValue(
                ua.Variant(
                    ua.EventNotifier.SubscribeToEvents.mask | ua.EventNotifier.HistoryRead.mask, ua.VariantType.Byte
                )
            ),
        )
        string_arg = ua.NodeId(ua.ObjectIds.String)

        def arg(name: str, desc: str) -> ua.Argument:
            return ua.Argument(Name=name, DataType=string_arg, ValueRank=-1, Description=ua.LocalizedText(desc))

        @uamethod
        async def acknowledge(parent: Any, asset: str, code: str, comment: str) -> str:
            tr = self.alarms.acknowledge(asset, code, self.plant_time, comment)
            if tr is None:
                return f"no unacknowledged alarm {code} on {asset}"
            await self._emit(tr, live=True)
            return f"{code} on {asset} acknowledged"

        @uamethod
        async def reset(parent: Any, asset: str, code: str) -> str:
            tr = self.alarms.reset(asset, code, self.plant_time)
            if tr is None:
                return f"{code} on {asset} cannot be reset (not latched, or its condition still holds)"
            await self._emit(tr, live=True)
            return f"{code} on {asset} reset"

        out = [ua.Argument(Name="Result", DataType=string_arg, ValueRank=-1)]
        await alarms.add_method(
            idx,
            "Acknowledge",
            acknowledge,
            [
                arg("AssetId", "asset id, e.g. as in AssetId of the event"),
                arg("AlarmCode", "alarm code"),
                arg("Comment", "operator comment"),
            ],
            out,
        )
        await alarms.add_method(idx, "Reset", reset, [arg("AssetId", "asset id"), arg("AlarmCode", "alarm code")], out)

    async def _build_simulation(self, site: Any, idx: int) -> None:
        simobj = await site.add_object(
            ua.NodeId(f"{self.layout.site}.Simulation", idx), ua.QualifiedName("Simulation", idx)
        )
        await _describe(simobj, "Demo plant simulation control: switch fault scenarios on and off")
        string_arg = ua.NodeId(ua.ObjectIds.String)

        @uamethod
        async def inject(parent: Any, asset: str, fault: str, hours_ago: float) -> str:
            try:
                self.inject_fault(asset, fault, hours_ago)
            except (KeyError, ValueError) as exc:
                raise ua.UaStatusCodeError(ua.StatusCodes.BadInvalidArgument) from exc
            return f"{fault} on {asset} since {hours_ago:g} h"

        @uamethod
        async def clear(parent: Any, asset: str, fault: str) -> str:
            if asset not in self._bound:
                raise ua.UaStatusCodeError(ua.StatusCodes.BadInvalidArgument)
            self.clear_fault(asset, fault)
            return f"{fault} on {asset} cleared"

        s = [
            ua.Argument(Name="AssetId", DataType=string_arg, ValueRank=-1),
            ua.Argument(
                Name="Fault", DataType=string_arg, ValueRank=-1, Description=ua.LocalizedText(", ".join(FAULTS))
            ),
        ]
        out = [ua.Argument(Name="Result", DataType=string_arg, ValueRank=-1)]
        hours = ua.Argument(Name="StartedHoursAgo", DataType=ua.NodeId(ua.ObjectIds.Double), ValueRank=-1)
        await simobj.add_method(idx, "InjectFault", inject, [*s, hours], out)
        await simobj.add_method(idx, "ClearFault", clear, s, out)

    # -- events -------------------------------------------------------------------------------------------------
    async def _emit(self, tr: AlarmTransition, live: bool) -> None:
        ev = self._alarm_gen.event
        ev.SourceNode = self._bound[tr.asset].node.nodeid
        ev.SourceName = tr.asset
        ev.Severity = tr.rule.severity
        ev.AlarmCode = tr.rule.code
        ev.AlarmState = tr.state
        ev.AssetId = tr.asset
        ev.MessageDE = f"{tr.rule.code} {tr.rule.de} ({tr.asset})"
        ev.TriggerValue = float(tr.value)
        ev.Limit = tr.rule.limit
        text = f"{tr.rule.code} {tr.rule.en} ({tr.asset})"
        when = datetime.fromtimestamp(tr.time, UTC)
        if live:
            await self._alarm_gen.trigger(when, text)
        else:
            ev.Time = when
            ev.ReceiveTime = when
            ev.Message = ua.LocalizedText(text)
            ev.EventId = ua.Variant(
                f"{tr.asset}|{tr.rule.code}|{tr.time:.0f}|{tr.state}".encode(), ua.VariantType.ByteString
            )
        self.history.add_event(self._alarms_node.nodeid, copy.copy(ev))

    # -- lifecycle ----------------------------------------------------------------------------------------------
    async def _security(self) -> None:
        srv = self.server
        policy = _POLICIES[self.settings.security]
        srv.set_security_policy([policy], permission_ruleset=_PlantRoles(self.settings))
        if self.settings.users:
            srv.set_identity_tokens([ua.UserNameIdentityToken])
        if self.settings.security == "None":
            return
        from asyncua.crypto.cert_gen import setup_self_signed_certificate
        from cryptography.x509.oid import ExtendedKeyUsageOID

        pki = (self.data_dir or Path(".")) / "sim-pki"
        (pki / "trusted").mkdir(parents=True, exist_ok=True)
        cert, key = pki / "server_cert.der", pki / "server_key.pem"
        if not cert.exists():
            await setup_self_signed_certificate(
                key, cert, SERVER_APP_URI, self.settings.host,
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
                {"countryName": "DE", "organizationName": "iiot-assistant", "commonName": "demo plant"},
            )  # fmt: skip
        await srv.load_certificate(str(cert))
        await srv.load_private_key(str(key))
        if self.settings.trust_client_certificates:
            from asyncua.crypto.truststore import TrustStore
            from asyncua.crypto.validator import CertificateValidator, CertificateValidatorOptions

            store = TrustStore([pki / "trusted"], [])
            await store.load()
            srv.set_certificate_validator(
                CertificateValidator(
                    CertificateValidatorOptions.TRUSTED_VALIDATION | CertificateValidatorOptions.PEER_CLIENT, store
                )
            )

    @property
    def server_certificate(self) -> Path | None:
        if self.settings.security == "None":
            return None
        return (self.data_dir or Path(".")) / "sim-pki" / "server_cert.der"

    @property
    def trust_dir(self) -> Path:
        return (self.data_dir or Path(".")) / "sim-pki" / "trusted"

    async def start(self) -> None:
        self.server.iserver.history_manager.set_storage(self.history)
        await self.server.init()
        self.server.set_endpoint(self.endpoint)
        self.server.set_server_name("IIoT Assistant demo plant")
        await self.server.set_application_uri(SERVER_APP_URI)
        await self._security()
        now = time.time()
        self.plant_time = now - self.settings.backfill_days * 86400.0
        await self._build()
        for f in self.settings.faults:
            self.inject_fault(f.asset, f.fault, f.started_hours_ago - self.settings.backfill_days * 24.0)
        await self._backfill(now)
        await self.server.start()
        self._wall0 = time.time()
        self._plant0 = self.plant_time = max(self.plant_time, self._wall0)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.server.stop()

    # -- stepping -----------------------------------------------------------------------------------------------
    async def _step(self, t: float, dt: float, live: bool, live_events: bool | None = None) -> None:
        """Advance every asset to ``t``: history at its interval, alarms as events, values to clients if ``live``."""
        live_events = live if live_events is None else live_events
        record = t - self._last_history >= self.settings.history_interval_s - 1e-6
        if record:
            self._last_history = t
        ts = datetime.fromtimestamp(t, UTC)
        for asset_id, bound in self._bound.items():
            if live:
                await self._read_inputs(bound)
            values = bound.model.step(t, dt)
            for tr in self.alarms.evaluate(asset_id, bound.model.spec.kind, values, t):
                await self._emit(tr, live_events)
            if live and bound.waveform is not None and t - bound.waveform_at >= WAVEFORM_PERIOD_S:
                bound.waveform_at = t
                await self._publish_waveform(bound, values, ts)
            for name, (nid, sig) in bound.nodes.items():
                if record:
                    self.history.append(nid, t, values[name] if sig.kind == "text" else float(values[name]))
                if live:
                    dv = ua.DataValue(
                        _variant(sig, values[name]), SourceTimestamp=ts, ServerTimestamp=datetime.now(UTC)
                    )
                    await self.server.write_attribute_value(nid, dv)

    async def _publish_waveform(self, bound: _Bound, values: dict[str, Any], ts: datetime) -> None:
        """A snapshot from the bearing physics shared with the maintenance models (same faults, same severity).

        Like a condition-monitoring system, it measures only while the shaft turns: a machine standing still keeps
        its last snapshot (with the speed it was taken at); before the first run the snapshot is the one of the
        last run before the plant started, at nominal speed."""
        from tools.maintenance.physics import DEFAULT_BEARING_FOR_KIND, bearing_waveform, recommended_fs

        model = bound.model
        rpm = float(values.get("Speed", model.spec.params.get("nominal_rpm", 2950.0)))
        if model.spec.kind == "compressor":
            rpm = 2980.0 if values.get("Running") else 0.0
        fault, severity = "normal", 0.0
        for name in ("bearing_outer", "bearing_inner"):
            sev = model.severity(name, self.plant_time, 8.0 if name == "bearing_outer" else 6.0)
            if sev > severity:
                fault, severity = name, sev
        if rpm < 60 and bound.waveform_published:
            return
        if rpm < 60:
            rpm = float(model.spec.params.get("nominal_rpm", NOMINAL_RPM.get(model.spec.kind, 2950.0)))
        fs = recommended_fs(rpm)
        samples = bearing_waveform(
            DEFAULT_BEARING_FOR_KIND[model.spec.kind],
            rpm,
            fault,
            severity,
            fs,
            WAVEFORM_SAMPLES,
            model.rng,
            machine=self._profile(model.spec.id),
            nominal_rpm=float(model.spec.params.get("nominal_rpm", rpm)),
        )
        nid, fs_nid, rpm_nid = bound.waveform  # type: ignore[misc]
        bound.waveform_published = True
        await self.server.write_attribute_value(fs_nid, ua.DataValue(ua.Variant(fs, ua.VariantType.Double)))
        await self.server.write_attribute_value(rpm_nid, ua.DataValue(ua.Variant(rpm, ua.VariantType.Double)))
        await self.server.write_attribute_value(
            nid, ua.DataValue(ua.Variant([float(x) for x in samples], ua.VariantType.Double), SourceTimestamp=ts)
        )

    def _profile(self, asset_id: str) -> Any:
        from tools.maintenance.physics import machine_profile

        cache = self.__dict__.setdefault("_profiles", {})
        if asset_id not in cache:
            cache[asset_id] = machine_profile(asset_id)
        return cache[asset_id]

    async def _read_inputs(self, bound: _Bound) -> None:
        """Writable signals (set-points) are inputs: what a client wrote steers the physics."""
        for name, (nid, sig) in bound.nodes.items():
            if sig.writable:
                dv = self.server.read_attribute_value(nid)
                if dv.Value is not None:
                    bound.model.inputs[name] = float(dv.Value.Value)

    async def _backfill(self, until: float) -> None:
        step = self.settings.history_interval_s
        t = self.plant_time
        while t + step <= until:
            t += step
            await self._step(t, step, live=False)
        self.plant_time = t

    async def _run(self) -> None:
        period = self.settings.period_s
        wall_period = max(0.05, period / self.settings.acceleration)
        while True:
            now = self.plant_now()
            dt = max(0.0, now - self.plant_time)
            # catch up in steps of at most a minute so accelerated time stays stable
            step = max(period, min(60.0, self.settings.history_interval_s))
            while dt > step:
                self.plant_time += step
                dt -= step
                await self._step(self.plant_time, step, live=False, live_events=True)
            self.plant_time = now
            await self._step(now, max(dt, 1e-3), live=True)
            await asyncio.sleep(wall_period)


async def serve_forever(settings: SimSettings, data_dir: Path | None = None) -> None:
    plant = PlantServer(settings, data_dir)
    await plant.start()
    log.info("demo plant serving at %s", plant.endpoint)
    try:
        await asyncio.Event().wait()
    finally:
        await plant.stop()
