"""Writes and method calls to the plant — off by default, gated, confirmed by a human, audit-logged.

A write or call is a two-step affair: ``propose_*`` checks the settings (``opcua.writes_enabled``), the caller's
role (``opcua.write_roles``), that the node is writable and the value inside its EURange, reads the old value and
returns a :class:`Confirmation` for the UI/CLI to show; only ``confirm`` with that confirmation's id executes it.
Every step — refused, proposed, executed, rejected, failed — writes an audit record (who, what, old/new, decision).
Text from documents or OPC UA strings never reaches here: only an operator's explicit confirmation does.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from asyncua import ua

from assistant.audit import JsonlLog
from assistant.config import Settings
from assistant.errors import NotAllowed
from tools.opcua.adapter import OpcUaAdapter
from tools.opcua.catalog import EventSource, Signal

CONFIRMATION_TTL_S = 300.0


@dataclass(slots=True)
class Confirmation:
    id: str
    kind: str  # write | call
    endpoint: str
    node_id: str
    path: str
    user: str
    role: str
    old_value: Any = None
    new_value: Any = None
    unit: str = ""
    range_low: float | None = None
    range_high: float | None = None
    method: str | None = None
    arguments: list[Any] = field(default_factory=list)
    expires_at: float = 0.0

    def summary(self) -> str:
        if self.kind == "write":
            rng = f" (range {self.range_low:g}…{self.range_high:g} {self.unit})" if self.range_high is not None else ""
            return f"Set {self.path} from {self.old_value} to {self.new_value} {self.unit}{rng}".strip()
        return f"Call {self.method}({', '.join(map(str, self.arguments))}) on {self.path}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "summary": self.summary()}


@dataclass(slots=True)
class ControlResult:
    confirmation_id: str
    executed: bool
    status: str
    result: Any = None


class Controller:
    def __init__(self, settings: Settings, adapter: OpcUaAdapter, audit: JsonlLog) -> None:
        self.settings = settings
        self.adapter = adapter
        self.audit = audit
        self._pending: dict[str, Confirmation] = {}

    def _refuse(self, reason: str, **what: Any) -> None:
        self.audit.record("control", decision="refused", reason=reason, **what)
        raise NotAllowed(reason)

    def _gate(self, user: str, role: str, what: dict[str, Any]) -> None:
        if not self.settings.opcua.writes_enabled:
            self._refuse("writing to the plant is switched off (setting opcua.writes_enabled)", user=user, role=role,
                         **what)  # fmt: skip
        if role not in self.settings.opcua.write_roles:
            allowed = ", ".join(self.settings.opcua.write_roles) or "nobody"
            self._refuse(f"role '{role}' may not change the plant (allowed: {allowed}; setting opcua.write_roles)",
                         user=user, role=role, **what)  # fmt: skip

    async def propose_write(self, user: str, role: str, endpoint: str, signal: Signal, value: float) -> Confirmation:
        what = {"action": "write", "endpoint": endpoint, "node": signal.stable_id, "path": "/".join(signal.path),
                "new": value}  # fmt: skip
        self._gate(user, role, what)
        if not signal.writable:
            self._refuse(f"{'/'.join(signal.path)} is read-only on the server", user=user, role=role, **what)
        lo, hi = signal.range_low, signal.range_high
        if lo is not None and hi is not None and hi > lo and not (lo <= value <= hi):
            self._refuse(f"{value:g} {signal.unit} is outside the range {lo:g}…{hi:g} {signal.unit} of "
                         f"{'/'.join(signal.path)}", user=user, role=role, **what)  # fmt: skip
        old = (await self.adapter.read([signal], endpoint))[0].value
        conf = Confirmation(
            id=uuid.uuid4().hex, kind="write", endpoint=endpoint, node_id=signal.node_id, path="/".join(signal.path),
            user=user, role=role, old_value=old, new_value=value, unit=signal.unit, range_low=lo, range_high=hi,
            expires_at=time.time() + CONFIRMATION_TTL_S,
        )  # fmt: skip
        self._pending[conf.id] = conf
        self.audit.record("control", decision="proposed", confirmation=conf.id, user=user, role=role, **what, old=old)
        return conf

    async def propose_call(self, user: str, role: str, endpoint: str, source: EventSource, method: str,
                           arguments: list[Any]) -> Confirmation:  # fmt: skip
        what = {"action": "call", "endpoint": endpoint, "node": source.node_id, "path": "/".join(source.path),
                "method": method, "arguments": arguments}  # fmt: skip
        self._gate(user, role, what)
        if method not in source.methods:
            self._refuse(f"{'/'.join(source.path)} has no method {method!r}", user=user, role=role, **what)
        conf = Confirmation(
            id=uuid.uuid4().hex, kind="call", endpoint=endpoint, node_id=source.node_id, path="/".join(source.path),
            user=user, role=role, method=method, arguments=list(arguments), expires_at=time.time() + CONFIRMATION_TTL_S,
        )  # fmt: skip
        self._pending[conf.id] = conf
        self.audit.record("control", decision="proposed", confirmation=conf.id, user=user, role=role, **what)
        return conf

    async def confirm(self, confirmation_id: str, user: str, approve: bool = True) -> ControlResult:
        conf = self._pending.pop(confirmation_id, None)
        if conf is None or conf.expires_at < time.time():
            self.audit.record("control", decision="refused", confirmation=confirmation_id, user=user,
                              reason="unknown or expired confirmation")  # fmt: skip
            raise NotAllowed("this confirmation is unknown or has expired — propose the change again")
        base = {"confirmation": conf.id, "user": user, "role": conf.role, "action": conf.kind, "node": conf.node_id,
                "path": conf.path, "old": conf.old_value, "new": conf.new_value, "method": conf.method}  # fmt: skip
        if user != conf.user:
            self.audit.record("control", decision="refused", reason="confirmed by another user", **base)
            raise NotAllowed("a change must be confirmed by the user who proposed it")
        if not approve:
            self.audit.record("control", decision="rejected", **base)
            return ControlResult(conf.id, False, "rejected by the operator")
        try:
            result = await self.adapter.call(conf.endpoint, lambda c: _execute(c, conf))
        except ua.UaStatusCodeError as exc:
            status = ua.StatusCode(exc.code).name
            self.audit.record("control", decision="failed", status=status, **base)
            return ControlResult(conf.id, False, f"the server refused: {status}")
        self.audit.record("control", decision="executed", status="Good", result=result, **base)
        return ControlResult(conf.id, True, "Good", result)


async def _execute(client: Any, conf: Confirmation) -> Any:
    node = client.get_node(conf.node_id)
    if conf.kind == "write":
        vtype = await node.read_data_type_as_variant_type()
        await node.write_value(ua.DataValue(ua.Variant(conf.new_value, vtype)))
        return None
    method = None
    for child in await node.get_children(refs=ua.ObjectIds.HasComponent, nodeclassmask=ua.NodeClass.Method):
        if (await child.read_display_name()).Text == conf.method:
            method = child
            break
    if method is None:
        raise ua.UaStatusCodeError(ua.StatusCodes.BadMethodInvalid)
    out = await node.call_method(method, *conf.arguments)
    return out if isinstance(out, int | float | str | bool | list) or out is None else str(out)
