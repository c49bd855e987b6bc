"""The catalog: what an OPC UA server's address space holds, as assets and signals, found by browsing.

Nothing here knows a particular plant. We walk the hierarchical references from the Objects folder
breadth-first with batched Browse requests (all forward references, filtered here by the server's hierarchical
reference types), then read the attributes and properties we need
(DisplayName, Description, DataType, AccessLevel, Historizing, EngineeringUnits, EURange) in batched Reads.
An *asset* is an Object that directly holds Variables (its *signals*); Objects without variables are levels
of the hierarchy (site, area, line) and appear in the path.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from asyncua import Client, ua

from tools.opcua.units import unece_code

# alarm limits of a variable, named as the properties of OPC UA's LimitAlarmType (Part 9); the warning level is
# the one planned against, the trip level when there is no warning level
LIMIT_NAMES = ("HighLimit", "HighHighLimit", "LowLimit", "LowLowLimit")
_PROPERTY_NAMES = {"EngineeringUnits", "EURange", "InstrumentRange", "EnumStrings", "EnumValues", *LIMIT_NAMES}
_SKIP_BROWSE_NAMES = {"Server", "Aliases", "Locations", "DeviceSet", "NetworkSet", "DeviceTopology"}


def _number(*values: Any) -> float | None:
    """The first of ``values`` that is a number."""
    for v in values:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    return None


@dataclass(slots=True)
class Signal:
    node_id: str
    namespace_uri: str
    browse_name: str
    display_name: str
    description: str
    path: list[str]
    asset_node_id: str
    data_type: str = ""
    unit: str = ""
    unit_code: str = ""
    range_low: float | None = None
    range_high: float | None = None
    limit_low: float | None = None  # alarm limits (LowLimit / HighLimit properties), when the server has them
    limit_high: float | None = None
    readable: bool = True
    writable: bool = False
    history_readable: bool = False
    historizing: bool = False
    value_rank: int = -1  # -1 scalar, >= 0 an array (OPC UA ValueRank)

    @property
    def stable_id(self) -> str:
        """Node id with the namespace URI instead of its index (indexes differ between servers/restarts)."""
        ident = self.node_id.split(";", 1)[1] if ";" in self.node_id else self.node_id
        return f"nsu={self.namespace_uri};{ident}"


@dataclass(slots=True)
class Asset:
    node_id: str
    browse_name: str
    display_name: str
    description: str
    path: list[str]
    endpoint: str
    signals: list[Signal] = field(default_factory=list)
    has_events: bool = False
    methods: list[str] = field(default_factory=list)

    @property
    def path_text(self) -> str:
        return "/".join(self.path)


@dataclass(slots=True)
class EventSource:
    """An object that emits events (EventNotifier); ``history`` when it also serves event history."""

    node_id: str
    path: list[str]
    history: bool
    methods: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Catalog:
    endpoint: str
    assets: list[Asset]
    namespaces: list[str]
    built_at: float
    build_seconds: float
    nodes_browsed: int
    event_sources: list[EventSource] = field(default_factory=list)

    def signal_count(self) -> int:
        return sum(len(a.signals) for a in self.assets)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class _Ref:
    node_id: ua.NodeId
    browse_name: ua.QualifiedName
    display_name: str
    node_class: ua.NodeClass
    ref_type: ua.NodeId
    parent: ua.NodeId | None
    path: list[str]


# the standard hierarchical reference types (HierarchicalReferences and its subtypes in namespace 0); servers may add
# their own subtypes, which :func:`_hierarchical_types` finds in the server's type tree
_STANDARD_HIERARCHICAL = {
    ua.NodeId(i)
    for i in (
        ua.ObjectIds.HierarchicalReferences, ua.ObjectIds.HasChild, ua.ObjectIds.Organizes,
        ua.ObjectIds.HasEventSource, ua.ObjectIds.Aggregates, ua.ObjectIds.HasSubtype, ua.ObjectIds.HasProperty,
        ua.ObjectIds.HasComponent, ua.ObjectIds.HasNotifier, ua.ObjectIds.HasOrderedComponent,
        ua.ObjectIds.HasHistoricalConfiguration, ua.ObjectIds.HasAddIn,
    )
}  # fmt: skip
_PLANT_NODE_CLASSES = int(ua.NodeClass.Object | ua.NodeClass.Variable | ua.NodeClass.Method)
# everything but TypeDefinition, which the catalog does not use
_RESULT_MASK = int(
    ua.BrowseResultMask.ReferenceTypeId
    | ua.BrowseResultMask.IsForward
    | ua.BrowseResultMask.NodeClass
    | ua.BrowseResultMask.BrowseName
    | ua.BrowseResultMask.DisplayName
)


async def _browse_many(
    client: Client,
    node_ids: list[ua.NodeId],
    batch: int,
    ref_type: ua.NodeId | None = None,
    node_classes: int = _PLANT_NODE_CLASSES,
) -> list[list[ua.ReferenceDescription]]:
    """Forward references of many nodes (all types when ``ref_type`` is None), following continuation points."""
    out: list[list[ua.ReferenceDescription]] = []
    for i in range(0, len(node_ids), batch):
        chunk = node_ids[i : i + batch]
        params = ua.BrowseParameters()
        params.RequestedMaxReferencesPerNode = 0
        params.NodesToBrowse = [
            ua.BrowseDescription(
                NodeId=nid,
                BrowseDirection=ua.BrowseDirection.Forward,
                ReferenceTypeId=ref_type if ref_type is not None else ua.NodeId(),
                IncludeSubtypes=False,
                NodeClassMask=node_classes,
                ResultMask=_RESULT_MASK,
            )
            for nid in chunk
        ]
        results = await client.uaclient.browse(params)
        for res in results:
            refs = list(res.References or [])
            cp = res.ContinuationPoint
            while cp:
                nxt = ua.BrowseNextParameters()
                nxt.ReleaseContinuationPoints = False
                nxt.ContinuationPoints = [cp]
                more = (await client.uaclient.browse_next(nxt))[0]
                refs.extend(more.References or [])
                cp = more.ContinuationPoint
            out.append(refs)
    return out


async def _hierarchical_types(client: Client, batch: int) -> set[ua.NodeId]:
    """HierarchicalReferences and every subtype the server defines (its own included), from its type tree.

    Browsing with no reference type and filtering here is much cheaper for many servers than asking the server
    to match every reference against the subtypes of HierarchicalReferences (asyncua's server walks the type
    tree per reference). A few small requests, one per level of the reference type tree.
    """
    found = set(_STANDARD_HIERARCHICAL)
    frontier = [ua.NodeId(ua.ObjectIds.HierarchicalReferences)]
    for _level in range(8):
        if not frontier:
            break
        try:
            results = await _browse_many(
                client, frontier, batch, ua.NodeId(ua.ObjectIds.HasSubtype), int(ua.NodeClass.ReferenceType)
            )
        except ua.UaStatusCodeError:
            break  # a server without a browsable type tree: the standard types
        frontier = [r.NodeId for refs in results for r in refs if r.NodeId not in found]
        found.update(frontier)
    return found


async def _read_many(
    client: Client, node_ids: list[ua.NodeId], attr: ua.AttributeIds, batch: int
) -> list[ua.DataValue]:
    out: list[ua.DataValue] = []
    for i in range(0, len(node_ids), batch):
        params = ua.ReadParameters()
        params.NodesToRead = [ua.ReadValueId(NodeId=n, AttributeId=attr) for n in node_ids[i : i + batch]]
        out.extend(await client.uaclient.read(params))
    return out


def _value(dv: ua.DataValue) -> Any:
    if dv is None or not dv.StatusCode.is_good() or dv.Value is None:
        return None
    return dv.Value.Value


def _text(v: Any) -> str:
    if isinstance(v, ua.LocalizedText):
        return v.Text or ""
    return "" if v is None else str(v)


def _type_name(v: Any) -> str:
    if isinstance(v, ua.NodeId):
        if v.NamespaceIndex == 0 and isinstance(v.Identifier, int):
            return ua.ObjectIdNames.get(v.Identifier, str(v.Identifier))
        return v.to_string()
    return ""


async def build_catalog(client: Client, endpoint: str, max_depth: int = 12, batch: int = 500) -> Catalog:
    """Browse the whole address space under Objects into a :class:`Catalog`."""
    t0 = time.perf_counter()
    namespaces = await client.get_namespace_array()
    objects = ua.NodeId(ua.ObjectIds.ObjectsFolder)
    frontier: list[tuple[ua.NodeId, list[str]]] = [(objects, [])]
    variables: list[_Ref] = []
    properties: list[_Ref] = []
    objects_seen: dict[str, _Ref] = {}
    methods: dict[str, list[str]] = {}
    visited = {objects.to_string()}
    browsed = 0
    hierarchical = await _hierarchical_types(client, batch)
    for _depth in range(max_depth):
        if not frontier:
            break
        results = await _browse_many(client, [n for n, _ in frontier], batch)
        browsed += len(frontier)
        nxt: list[tuple[ua.NodeId, list[str]]] = []
        for (parent, ppath), refs in zip(frontier, results, strict=True):
            for r in refs:
                if r.ReferenceTypeId not in hierarchical:
                    continue  # e.g. HasModellingRule, HasInterface, vendor cross-references
                nid = r.NodeId
                if nid.NamespaceIndex == 0 and parent == objects:
                    continue  # the Server object and other standard nodes are not the plant
                if r.BrowseName.Name in _SKIP_BROWSE_NAMES and nid.NamespaceIndex == 0:
                    continue
                key = nid.to_string()
                name = r.DisplayName.Text or r.BrowseName.Name
                ref = _Ref(nid, r.BrowseName, name, r.NodeClass, r.ReferenceTypeId, parent, [*ppath, name])
                if r.NodeClass == ua.NodeClass.Method:
                    methods.setdefault(parent.to_string(), []).append(name)
                    continue
                is_property = (
                    r.ReferenceTypeId == ua.NodeId(ua.ObjectIds.HasProperty) or r.BrowseName.Name in _PROPERTY_NAMES
                )
                if r.NodeClass == ua.NodeClass.Variable:
                    (properties if is_property else variables).append(ref)
                if key in visited:
                    continue
                visited.add(key)
                if r.NodeClass == ua.NodeClass.Object:
                    objects_seen[key] = ref
                    nxt.append((nid, ref.path))
                elif r.NodeClass == ua.NodeClass.Variable and not is_property:
                    nxt.append((nid, ref.path))  # variables may carry properties (units, ranges)
        frontier = nxt

    # properties that describe a variable: EngineeringUnits / EURange
    prop_of: dict[str, dict[str, Any]] = {}
    wanted = [p for p in properties if p.browse_name.Name in {"EngineeringUnits", "EURange", "InstrumentRange",
                                                               *LIMIT_NAMES}]  # fmt: skip
    prop_vals = await _read_many(client, [p.node_id for p in wanted], ua.AttributeIds.Value, batch)
    for p, dv in zip(wanted, prop_vals, strict=True):
        prop_of.setdefault(p.parent.to_string(), {})[p.browse_name.Name] = _value(dv)

    var_ids = [v.node_id for v in variables]
    obj_ids = [ua.NodeId.from_string(k) for k in objects_seen]
    descs = await _read_many(client, var_ids + obj_ids, ua.AttributeIds.Description, batch)
    dtypes = await _read_many(client, var_ids, ua.AttributeIds.DataType, batch)
    access = await _read_many(client, var_ids, ua.AttributeIds.UserAccessLevel, batch)
    hist = await _read_many(client, var_ids, ua.AttributeIds.Historizing, batch)
    ranks = await _read_many(client, var_ids, ua.AttributeIds.ValueRank, batch)
    notifiers = await _read_many(client, obj_ids, ua.AttributeIds.EventNotifier, batch)

    assets: dict[str, Asset] = {}
    for (key, ref), dv, ev in zip(objects_seen.items(), descs[len(var_ids) :], notifiers, strict=True):
        ev_bits = _value(ev) or 0
        assets[key] = Asset(
            node_id=key,
            browse_name=ref.browse_name.Name,
            display_name=ref.display_name,
            description=_text(_value(dv)),
            path=ref.path,
            endpoint=endpoint,
            has_events=bool(ev_bits & 1),
            methods=methods.get(key, []),
        )

    for ref, dv, dt, acc, hz, vr in zip(variables, descs[: len(var_ids)], dtypes, access, hist, ranks, strict=True):
        owner = assets.get(ref.parent.to_string()) if ref.parent is not None else None
        if owner is None:
            continue  # a variable under a variable (e.g. a structure field) is not a plant signal
        props = prop_of.get(ref.node_id.to_string(), {})
        eu, rng = props.get("EngineeringUnits"), props.get("EURange") or props.get("InstrumentRange")
        bits = _value(acc) or 0
        owner.signals.append(
            Signal(
                node_id=ref.node_id.to_string(),
                namespace_uri=namespaces[ref.node_id.NamespaceIndex]
                if ref.node_id.NamespaceIndex < len(namespaces)
                else "",
                browse_name=ref.browse_name.Name,
                display_name=ref.display_name,
                description=_text(_value(dv)),
                path=ref.path,
                asset_node_id=owner.node_id,
                data_type=_type_name(_value(dt)),
                unit=_text(eu.DisplayName) if isinstance(eu, ua.EUInformation) else "",
                unit_code=unece_code(eu.UnitId) if isinstance(eu, ua.EUInformation) and eu.UnitId > 0 else "",
                range_low=getattr(rng, "Low", None),
                range_high=getattr(rng, "High", None),
                limit_low=_number(props.get("LowLimit"), props.get("LowLowLimit")),
                limit_high=_number(props.get("HighLimit"), props.get("HighHighLimit")),
                readable=bool(bits & ua.AccessLevel.CurrentRead.mask) if bits else True,
                writable=bool(bits & ua.AccessLevel.CurrentWrite.mask),
                history_readable=bool(bits & ua.AccessLevel.HistoryRead.mask),
                historizing=bool(_value(hz)),
                value_rank=rank if isinstance(rank := _value(vr), int) else -1,
            )
        )

    found = [a for a in assets.values() if a.signals]
    sources = [
        EventSource(key, ref.path, bool((_value(ev) or 0) & 4), methods.get(key, []))
        for (key, ref), ev in zip(objects_seen.items(), notifiers, strict=True)
        if (_value(ev) or 0) & 1
    ]
    return Catalog(
        endpoint=endpoint,
        assets=found,
        namespaces=list(namespaces),
        built_at=time.time(),
        build_seconds=time.perf_counter() - t0,
        nodes_browsed=browsed,
        event_sources=sources,
    )
