"""The demo plant's layout: an ISA-95-like hierarchy (Site/Area/Line/Asset) of typed assets, as data.

Each asset names its type (a model in :mod:`assistant.sim.physics`), descriptions in English and German,
and its nominal operating point. The simulator and the evaluation read this; the assistant never does —
it discovers the plant by browsing OPC UA.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class AssetSpec:
    id: str
    kind: str
    description_en: str
    description_de: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LineSpec:
    name: str
    description: str
    assets: list[AssetSpec]


@dataclass(slots=True)
class AreaSpec:
    name: str
    lines: list[LineSpec]


@dataclass(slots=True)
class PlantLayout:
    site: str
    areas: list[AreaSpec]

    def assets(self) -> list[tuple[list[str], AssetSpec]]:
        """(path of hierarchy names, asset) for every asset."""
        return [
            ([self.site, area.name, line.name], a) for area in self.areas for line in area.lines for a in line.assets
        ]

    def asset(self, asset_id: str) -> AssetSpec:
        for _path, a in self.assets():
            if a.id == asset_id:
                return a
        raise KeyError(asset_id)


def _pump(pid: str, service_en: str, service_de: str, **params: Any) -> AssetSpec:
    return AssetSpec(pid, "pump", f"Centrifugal pump {pid}, {service_en}", f"Kreiselpumpe {pid}, {service_de}", params)


def _spindle(sid: str, machine: str, **params: Any) -> AssetSpec:
    return AssetSpec(
        sid,
        "spindle",
        f"CNC machining spindle {sid} of {machine} (rolling bearings)",
        f"CNC-Frässpindel {sid} der {machine} (Wälzlager)",
        params,
    )


def demo_layout() -> PlantLayout:
    """The demo factory: utilities (cooling water, compressed air), two machining lines, a washing/packaging line."""
    pump, spindle = _pump, _spindle
    return PlantLayout(
        site="DemoPlant",
        areas=[
            AreaSpec("Utilities", [
                LineSpec("CoolingWater", "Cooling water supply", [
                    pump("P-101", "cooling water supply line 1", "Kühlwasserversorgung Linie 1", nominal_rpm=2950),
                    pump("P-102", "cooling water supply line 2", "Kühlwasserversorgung Linie 2", nominal_rpm=2950),
                    pump("P-103", "cooling water standby", "Kühlwasser Reserve", nominal_rpm=1480, standby=True),
                    pump("P-104", "cooling tower circulation", "Kühlturm-Umwälzung", nominal_rpm=1480),
                    AssetSpec("T-101", "tank", "Cooling water buffer tank T-101 with level control",
                              "Kühlwasser-Pufferbehälter T-101 mit Füllstandsregelung", {"volume_m3": 40.0}),
                ]),
                LineSpec("CompressedAir", "Compressed air station", [
                    AssetSpec("K-1", "compressor", "Screw air compressor K-1 (base load)",
                              "Schraubenkompressor K-1 (Grundlast)", {"rated_kw": 55.0, "load_share": 0.85}),
                    AssetSpec("K-2", "compressor", "Screw air compressor K-2 (peak load)",
                              "Schraubenkompressor K-2 (Spitzenlast)", {"rated_kw": 37.0, "load_share": 0.6}),
                    AssetSpec("K-3", "compressor", "Screw air compressor K-3 (standby)",
                              "Schraubenkompressor K-3 (Reserve)", {"rated_kw": 37.0, "load_share": 0.0}),
                ]),
            ]),
            AreaSpec("Machining", [
                LineSpec("Line1", "Machining line 1", [
                    spindle("S-1", "machining centre MC-1"),
                    spindle("S-2", "machining centre MC-2"),
                    spindle("S-5", "machining centre MC-5"),
                    AssetSpec("CV-1", "conveyor", "Conveyor drive CV-1 of line 1", "Förderbandantrieb CV-1 Linie 1"),
                    pump("P-111", "coolant pump line 1", "Kühlschmierstoffpumpe Linie 1", nominal_rpm=2900),
                    AssetSpec("T-111", "tank", "Coolant tank T-111 of line 1", "Kühlschmierstoffbehälter T-111 Linie 1",
                              {"volume_m3": 6.0}),
                ]),
                LineSpec("Line2", "Machining line 2", [
                    spindle("S-3", "machining centre MC-3"),
                    spindle("S-4", "machining centre MC-4"),
                    spindle("S-6", "machining centre MC-6"),
                    AssetSpec("CV-2", "conveyor", "Conveyor drive CV-2 of line 2", "Förderbandantrieb CV-2 Linie 2"),
                    pump("P-211", "coolant pump line 2", "Kühlschmierstoffpumpe Linie 2", nominal_rpm=2900),
                    AssetSpec("T-211", "tank", "Coolant tank T-211 of line 2", "Kühlschmierstoffbehälter T-211 Linie 2",
                              {"volume_m3": 6.0}),
                ]),
            ]),
            AreaSpec("Packaging", [
                LineSpec("Line3", "Washing and packaging line 3", [
                    AssetSpec("CV-3", "conveyor", "Infeed conveyor CV-3 of the part washer",
                              "Einlaufband CV-3 der Teilewaschanlage"),
                    AssetSpec("CV-4", "conveyor", "Outfeed conveyor CV-4 to packaging",
                              "Auslaufband CV-4 zur Verpackung"),
                    AssetSpec("CV-5", "conveyor", "Pallet conveyor CV-5", "Palettenförderer CV-5"),
                    pump("P-301", "part washer spray pump", "Spritzpumpe der Teilewaschanlage", nominal_rpm=2900),
                    pump("P-302", "detergent dosing pump", "Reinigerdosierpumpe", nominal_rpm=1450),
                    AssetSpec("T-301", "tank", "Wash water tank T-301", "Waschwasserbehälter T-301",
                              {"volume_m3": 8.0}),
                    AssetSpec("PM-1", "packer", "Case packer PM-1 at the end of line 3",
                              "Kartonpacker PM-1 am Ende der Linie 3"),
                ]),
            ]),
        ],
    )  # fmt: skip
