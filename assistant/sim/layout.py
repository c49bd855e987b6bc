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
    """The demo factory: two production lines, utilities (cooling water, compressed air) and packaging."""
    return PlantLayout(
        site="DemoPlant",
        areas=[
            AreaSpec(
                "Utilities",
                [
                    LineSpec(
                        "CoolingWater",
                        "Cooling water supply",
                        [
                            _pump(
                                "P-101", "cooling water supply line 1", "Kühlwasserversorgung Linie 1", nominal_rpm=2950
                            ),
                            _pump(
                                "P-102", "cooling water supply line 2", "Kühlwasserversorgung Linie 2", nominal_rpm=2950
                            ),
                            _pump(
                                "P-103", "cooling water standby", "Kühlwasser Reserve", nominal_rpm=1480, standby=True
                            ),
                            AssetSpec(
                                "T-101",
                                "tank",
                                "Cooling water buffer tank T-101 with level control",
                                "Kühlwasser-Pufferbehälter T-101 mit Füllstandsregelung",
                                {"volume_m3": 40.0},
                            ),
                        ],
                    ),
                    LineSpec(
                        "CompressedAir",
                        "Compressed air station",
                        [
                            AssetSpec(
                                "K-1",
                                "compressor",
                                "Screw air compressor K-1 (base load)",
                                "Schraubenkompressor K-1 (Grundlast)",
                                {"rated_kw": 55.0},
                            ),
                            AssetSpec(
                                "K-2",
                                "compressor",
                                "Screw air compressor K-2 (peak load)",
                                "Schraubenkompressor K-2 (Spitzenlast)",
                                {"rated_kw": 37.0},
                            ),
                        ],
                    ),
                ],
            ),
            AreaSpec(
                "Machining",
                [
                    LineSpec(
                        "Line1",
                        "Machining line 1",
                        [
                            _spindle("S-1", "machining centre MC-1"),
                            _spindle("S-2", "machining centre MC-2"),
                            AssetSpec(
                                "CV-1", "conveyor", "Conveyor drive CV-1 of line 1", "Förderbandantrieb CV-1 Linie 1"
                            ),
                            _pump("P-111", "coolant pump line 1", "Kühlschmierstoffpumpe Linie 1", nominal_rpm=2900),
                        ],
                    ),
                    LineSpec(
                        "Line2",
                        "Machining line 2",
                        [
                            _spindle("S-3", "machining centre MC-3"),
                            _spindle("S-4", "machining centre MC-4"),
                            AssetSpec(
                                "CV-2", "conveyor", "Conveyor drive CV-2 of line 2", "Förderbandantrieb CV-2 Linie 2"
                            ),
                            _pump("P-211", "coolant pump line 2", "Kühlschmierstoffpumpe Linie 2", nominal_rpm=2900),
                        ],
                    ),
                ],
            ),
        ],
    )
