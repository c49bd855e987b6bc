"""Generate the demo plant's logs: alarm log (CSV), maintenance work orders (JSON), shift handover notes (EN, DE).

Owns the demo history. Seeded and deterministic: the same seed writes byte-identical files. The incidents follow
the demo plant's layout (``assistant.sim.layout``) and alarm rules (``assistant/sim/alarms.yaml``): every alarm
uses a real code of the right asset kind, its value lies beyond the rule's threshold in the signal's unit, it
clears once the value is back past the threshold by the hysteresis, and the fault behind it is one the
simulator models (bearing wear, cavitation, strainer clogging, compressed-air leak, …). The corrective work
orders and handover notes tell the same stories, and preventive work orders follow the manuals' intervals.

    .venv/bin/python corpus/generate_logs.py [--seed 42]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "demo" / "logs"
START = datetime(2026, 9, 1)
END = datetime(2026, 11, 25, 22, 0)

UNITS = {
    "Temperature": "°C", "BearingTemperature": "°C", "Vibration": "mm/s", "SuctionPressure": "bar",
    "FilterDifferentialPressure": "bar", "Load": "%", "MotorTemperature": "°C", "MotorCurrent": "A",
    "DischargeTemperature": "°C", "Pressure": "bar", "Level": "%",
}  # fmt: skip


@dataclass
class Incident:
    """A fault story: alarms on an asset, the work order that fixed it, what the shifts wrote."""

    asset: str
    codes: list[str]
    start: datetime
    repair_after_h: float
    fault: str
    findings_en: str
    work_en: str
    parts: list[str]
    note_en: str
    note_de: str


INCIDENTS = [
    Incident("K-1", ["E-40"], datetime(2026, 9, 8, 14, 20), 20, "cooler fouling",
             "Oil cooler fins clogged with dust; discharge temperature 97 °C at full load.",
             "Cleaned the oil cooler with compressed air, checked fan, topped up oil CO-46.", ["CO-46"],
             "K-1 tripped on E-40 discharge temperature, K-3 switched on. Cooler looks dirty.",
             "K-1 mit E-40 Verdichtungsendtemperatur ausgefallen, K-3 zugeschaltet. Kühler verschmutzt."),
    Incident("CV-3", ["E-31"], datetime(2026, 9, 18, 9, 5), 2, "jam",
             "A washed part jammed under the infeed guide of CV-3; motor current 33 A.",
             "Removed the part, adjusted the infeed guide, checked belt tension.", [],
             "CV-3 stopped on E-31 overcurrent, part jammed at the infeed. Cleared under lock-out.",
             "CV-3 Überstrom E-31, Teil am Einlauf verklemmt. Unter Freischaltung beseitigt."),
    Incident("T-111", ["E-51"], datetime(2026, 9, 25, 23, 40), 6, "inlet valve stuck closed",
             "Inlet control valve of T-111 stuck closed (positioner air hose loose); level fell to 17 %.",
             "Refitted the positioner air hose, stroke-tested the valve, level back to 65 %.", [],
             "T-111 level low E-51 in the night, coolant pump P-111 showed E-14 suction pressure low.",
             "T-111 Füllstand niedrig E-51, P-111 meldete E-14 Saugdruck niedrig. Zulaufventil klemmte zu."),
    Incident("P-111", ["E-14"], datetime(2026, 9, 26, 0, 10), 5, "cavitation",
             "Cavitation caused by the low level in T-111; suction pressure 0.86 bar, crackling noise.",
             "Pump stopped until T-111 level recovered; impeller inspected, no damage.", [],
             "P-111 cavitating (E-14) because of the low T-111 level; pump stopped for 4 hours.",
             "P-111 Kavitation (E-14) wegen niedrigem Füllstand in T-111; Pumpe 4 Stunden abgeschaltet."),
    Incident("P-301", ["E-10"], datetime(2026, 9, 30, 10, 30), 3, "discharge valve closed",
             "Discharge valve of P-301 left half closed after washer cleaning; casing 83 °C.",
             "Opened the discharge valve fully, added a check to the cleaning checklist.", [],
             "P-301 casing temperature E-10 after the washer cleaning; discharge valve was half closed.",
             "P-301 Gehäusetemperatur E-10 nach Reinigung der Waschanlage; Druckschieber halb geschlossen."),
    Incident("P-102", ["E-12", "E-11"], datetime(2026, 10, 6, 8, 0), 100, "bearing outer race",
             "Drive-end bearing outer race spalled; vibration 6.2 mm/s, bearing temperature 87 °C.",
             "Replaced drive-end bearing 6309-2Z-C3, regreased with GR-2000, realigned coupling (0.03 mm).",
             ["6309-2Z-C3", "GR-2000"],
             "P-102 vibration warning E-12 rising for days, now also bearing temperature E-11. P-103 on standby.",
             "P-102 Schwingungswarnung E-12 steigt seit Tagen, jetzt auch Lagertemperatur E-11."),
    Incident("P-111", ["E-15"], datetime(2026, 10, 20, 13, 15), 26, "strainer clogging",
             "Suction strainer ST-0816 clogged with chips; differential pressure 0.58 bar, flow down 30 %.",
             "Cleaned the strainer, replaced the damaged mesh insert ST-0816.", ["ST-0816"],
             "P-111 strainer clogged (E-15), flow low. Cleaning planned for the next stop.",
             "P-111 Saugsieb verstopft (E-15), Durchfluss niedrig. Reinigung beim nächsten Stillstand."),
    Incident("S-2", ["E-22"], datetime(2026, 10, 28, 10, 40), 1, "tool wear",
             "Worn face mill on MC-2; spindle load peaks 118 %.",
             "Changed the face mill, reduced feed by 10 % for the titanium job.", [],
             "S-2 overload E-22 three times, worn face mill changed.",
             "S-2 Spindelüberlast E-22 dreimal, verschlissener Planfräser gewechselt."),
    Incident("K-2", ["E-42"], datetime(2026, 11, 3, 7, 30), 32, "compressed air leak",
             "Leak at a quick coupling of the line 2 drop (ultrasonic survey, about 40 m³/h); "
             "K-2 loading more than 40 times per hour.",
             "Replaced the quick coupling and two hose clamps; network pressure stable at 6.8–7.4 bar.", [],
             "Network pressure low E-42, K-2 loading all the time. Suspect a leak in hall 2.",
             "Druckluftnetzdruck niedrig E-42, K-2 ständig in Last. Vermutlich Leckage in Halle 2."),
    Incident("S-4", ["E-21", "E-20"], datetime(2026, 11, 12, 6, 50), 50, "bearing inner race",
             "Front spindle bearing inner race damaged; vibration 5.1 mm/s at 12,000 rpm, bearing 63 °C.",
             "Replaced the spindle bearing set SB-7014-P4, ran the run-in program RI-24; bearing 41 °C after run-in.",
             ["SB-7014-P4"],
             "S-4 spindle vibration E-21 and bearing temperature E-20 on MC-4. Bearing change ordered.",
             "S-4 Spindelschwingung E-21 und Lagertemperatur E-20 an MC-4. Lagerwechsel bestellt."),
    Incident("CV-5", ["E-30"], datetime(2026, 11, 19, 15, 10), 4, "motor fan blocked",
             "Cooling fan cover of CV-5 motor covered with stretch film; winding 114 °C.",
             "Removed the film, cleaned the cooling fins, checked motor bearings.", [],
             "CV-5 motor overtemperature E-30, stretch film on the fan cover.",
             "CV-5 Übertemperatur Motor E-30, Stretchfolie auf der Lüfterhaube."),
    Incident("T-301", ["E-50"], datetime(2026, 11, 21, 4, 20), 8, "inlet valve stuck open",
             "Inlet control valve of T-301 stuck open (dirt in the seat); level 93 %.",
             "Controller set to manual, valve dismantled and cleaned, seat lapped.", [],
             "T-301 level high E-50, controller switched to manual, inlet valve closed to 20 %.",
             "T-301 Füllstand hoch E-50, Regler auf Hand, Zulaufventil auf 20 % geschlossen."),
]  # fmt: skip


def load_rules() -> dict[str, dict[str, object]]:
    rules = yaml.safe_load((ROOT / "assistant" / "sim" / "alarms.yaml").read_text(encoding="utf-8"))
    return {r["code"]: r for r in rules}


def asset_kinds() -> dict[str, str]:
    import sys

    sys.path.insert(0, str(ROOT))
    from assistant.sim.layout import demo_layout

    return {a.id: a.kind for _, a in demo_layout().assets()}


def alarm_value(rule: dict[str, object], rng: random.Random, margin: float) -> float:
    if "above" in rule:
        return round(float(rule["above"]) * (1 + margin), 2)  # type: ignore[arg-type]
    return round(float(rule["below"]) * (1 - margin), 2)  # type: ignore[arg-type]


def clear_value(rule: dict[str, object], rng: random.Random) -> float:
    h = float(rule["hysteresis"])  # type: ignore[arg-type]
    if "above" in rule:
        return round(float(rule["above"]) - h - rng.uniform(0.05, 0.5) * h, 2)  # type: ignore[arg-type]
    return round(float(rule["below"]) + h + rng.uniform(0.05, 0.5) * h, 2)  # type: ignore[arg-type]


def shift_of(t: datetime) -> str:
    return "early" if 6 <= t.hour < 14 else "late" if 14 <= t.hour < 22 else "night"


def generate(seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    rules = load_rules()
    kinds = asset_kinds()
    events: list[tuple[datetime, str, str, str, float]] = []  # time, asset, code, event, value
    wos: list[dict[str, object]] = []
    notes: list[tuple[datetime, str, str, str]] = []  # time, asset, en, de
    for inc in INCIDENTS:
        t = inc.start
        for n, code in enumerate(inc.codes):
            rule = rules[code]
            assert kinds[inc.asset] == rule["kind"], (inc.asset, code)
            repeats = 3 if code in ("E-12", "E-22", "E-42", "E-21") else 1
            for r in range(repeats):
                raised = t + timedelta(hours=n * inc.repair_after_h * 0.5 + r * inc.repair_after_h / (repeats + 1))
                value = alarm_value(rule, rng, 0.02 + 0.04 * r + rng.uniform(0, 0.03))
                events.append((raised, inc.asset, code, "RAISED", value))
                events.append((raised + timedelta(minutes=rng.randint(2, 15)), inc.asset, code, "ACKNOWLEDGED", value))
                cleared = raised + timedelta(minutes=rng.randint(20, 180))
                events.append((cleared, inc.asset, code, "CLEARED", clear_value(rule, rng)))
        first = inc.start
        notes.append((first + timedelta(minutes=rng.randint(5, 40)), inc.asset, inc.note_en, inc.note_de))
        closed = first + timedelta(hours=inc.repair_after_h)
        wo_id = f"WO-2026-{400 + len(wos):04d}"
        wos.append({
            "id": wo_id, "asset": inc.asset, "type": "corrective",
            "priority": "high" if len(inc.codes) > 1 else "medium",
            "trigger": ", ".join(inc.codes), "opened": first.strftime("%Y-%m-%d %H:%M"),
            "closed": closed.strftime("%Y-%m-%d %H:%M"), "fault": inc.fault, "findings": inc.findings_en,
            "work_done": inc.work_en, "parts": inc.parts, "technician": rng.choice(["A. Weber", "M. Kaya", "J. Novak"]),
            "hours": round(rng.uniform(0.5, 6.0), 1),
        })  # fmt: skip
        notes.append((closed, inc.asset, f"{wo_id} closed: {inc.work_en}", f"{wo_id} abgeschlossen."))
    # nuisance alarms: short spindle overloads and tank level swings, cleared within minutes
    for _ in range(60):
        asset = rng.choice(["S-1", "S-2", "S-3", "S-5", "S-6", "T-101", "T-211"])
        code = "E-22" if asset.startswith("S") else rng.choice(["E-50", "E-51"])
        day = START + timedelta(days=rng.randint(0, (END - START).days - 1))
        t = day.replace(hour=rng.randint(6, 21), minute=rng.randint(0, 59))
        if t.weekday() >= 5:
            continue
        rule = rules[code]
        events.append((t, asset, code, "RAISED", alarm_value(rule, rng, rng.uniform(0.01, 0.05))))
        events.append((t + timedelta(minutes=rng.randint(1, 6)), asset, code, "CLEARED", clear_value(rule, rng)))
    # preventive work orders from the manuals' intervals
    preventive = [
        ("P-101", "Regrease drive-end and non-drive-end bearings (every 2,000 h), 15 g GR-2000 each", ["GR-2000"], 75),
        ("P-102", "Regrease bearings (every 2,000 h), 15 g GR-2000 each", ["GR-2000"], 80),
        ("P-104", "Monthly vibration route: RMS velocity recorded at both bearings", [], 30),
        ("K-1", "Oil change and oil filter OF-1180 (every 4,000 h)", ["OF-1180", "CO-46"], 120),
        ("K-2", "Clean intake filter AF-0710 (every 500 h)", ["AF-0710"], 21),
        ("S-1", "Check oil-air lubrication unit, top up OL-0068", ["OL-0068"], 14),
        ("CV-1", "Check gearbox oil level (GO-0220) and belt tension", ["GO-0220"], 30),
        ("T-111", "Measure coolant concentration (target 5–7 %), clean level probe LS-0450", ["LS-0450"], 60),
    ]
    for asset, text, parts, every_days in preventive:
        t = START + timedelta(days=rng.randint(0, every_days - 1), hours=8)
        while t < END:
            wos.append({
                "id": f"WO-2026-{400 + len(wos):04d}", "asset": asset, "type": "preventive", "priority": "low",
                "trigger": "interval", "opened": t.strftime("%Y-%m-%d %H:%M"),
                "closed": (t + timedelta(hours=rng.randint(1, 4))).strftime("%Y-%m-%d %H:%M"),
                "fault": "", "findings": "no findings" if rng.random() < 0.8 else "slight leakage noted, monitor",
                "work_done": text, "parts": parts, "technician": rng.choice(["A. Weber", "M. Kaya", "J. Novak"]),
                "hours": round(rng.uniform(0.3, 2.0), 1),
            })  # fmt: skip
            t += timedelta(days=every_days)
    wos.sort(key=lambda w: str(w["opened"]))
    renumber = {str(w["id"]): f"WO-2026-{400 + i:04d}" for i, w in enumerate(wos)}  # ids in time order
    for w in wos:
        w["id"] = renumber[str(w["id"])]

    def fix(text: str) -> str:
        head, _, rest = text.partition(" ")
        return f"{renumber.get(head, head)} {rest}" if head in renumber else text

    notes = [(t, a, fix(en), fix(de)) for t, a, en, de in notes]
    events.sort()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["timestamp", "asset", "code", "severity", "event", "value", "unit", "message"])
    for t, asset, code, event, value in events:
        rule = rules[code]
        writer.writerow([t.strftime("%Y-%m-%d %H:%M:%S"), asset, code, rule["severity"], event, value,
                         UNITS[str(rule["signal"])], rule["en"]])  # fmt: skip
    files = {"alarm_log_2026.csv": buf.getvalue()}
    files["work_orders_2026.json"] = json.dumps(
        {"title": "Maintenance work orders 2026", "doc_type": "maintenance_log", "work_orders": wos},
        ensure_ascii=False, indent=1,
    ) + "\n"  # fmt: skip
    files.update(_handover(notes, rng))
    return files


def _handover(notes: list[tuple[datetime, str, str, str]], rng: random.Random) -> dict[str, str]:
    """Day and late shifts write English notes, the night shift writes German ones."""
    routine_en = [
        "All pumps running normally, no alarms.",
        "Compressed air 7.1 bar, K-1 base load, K-2 cycling.",
        "Coolant concentration T-211 6 %, topped up.",
        "Conveyors CV-1 to CV-5 checked, pull cords OK.",
    ]
    routine_de = ["Alle Pumpen normal, keine Alarme.", "Druckluft 7,0 bar, K-1 Grundlast.",
                  "Kühlschmierstoff T-111 Konzentration 6 %, nachgefüllt.", "Nachtschicht ohne Störungen."]  # fmt: skip
    en: dict[str, list[str]] = {}
    de: dict[str, list[str]] = {}
    for t, asset, text_en, text_de in sorted(notes):
        shift = shift_of(t)
        day = (t - timedelta(hours=6) if shift == "night" and t.hour < 6 else t).strftime("%Y-%m-%d")
        if shift == "night":
            de.setdefault(f"=== Schichtübergabe Nachtschicht {day} (22:00–06:00) ===", []).append(
                f"{t:%d.%m.%Y %H:%M} {asset}: {text_de}"
            )
        else:
            en.setdefault(f"=== Shift handover {day} {shift} shift ===", []).append(
                f"{t:%Y-%m-%d %H:%M} {asset}: {text_en}")  # fmt: skip
    day = START
    while day < END:  # routine entries
        key = f"=== Shift handover {day:%Y-%m-%d} early shift ==="
        if rng.random() < 0.25 and key not in en:
            en.setdefault(key, []).append(f"{day:%Y-%m-%d} 13:{rng.randint(30, 55)} {rng.choice(routine_en)}")
        key = f"=== Schichtübergabe Nachtschicht {day:%Y-%m-%d} (22:00–06:00) ==="
        if rng.random() < 0.2 and key not in de:
            de.setdefault(key, []).append(f"{day + timedelta(days=1):%d.%m.%Y} 05:{rng.randint(30, 55)} "
                                          f"{rng.choice(routine_de)}")  # fmt: skip
        day += timedelta(days=1)

    def render(d: dict[str, list[str]]) -> str:
        blocks = sorted(d.items(), key=lambda kv: re.search(r"\d{4}-\d{2}-\d{2}", kv[0]).group(0))  # type: ignore[union-attr]
        return "\n".join(f"{k}\n" + "\n".join(v) + "\n" for k, v in blocks)

    return {"shift_handover_notes_en.txt": render(en), "schichtuebergabe_notizen_de.txt": render(de)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in generate(args.seed).items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"{(OUT / name).relative_to(ROOT)}: {text.count(chr(10))} lines")


if __name__ == "__main__":
    main()
