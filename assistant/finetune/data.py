"""Seeded synthetic training data for the plant adapter: PLAN and ANSWER examples in EN, DE, FR, ES and IT.

PLAN: catalog excerpt + question (+ the previous turn) → ``{"intent": …, "assets": […]}`` over the router's intents,
including "refuse" (out_of_scope, write_request), "clarify" (a kind but no name: no asset chosen) and follow-ups.
ANSWER: question + the agent's template answer (tool results) → one short sentence in the question's language that
keeps value, unit, time and the node it came from. Phrasings come from ``prompts/finetune/<lang>.yaml`` and the
router's example questions; facts are rendered with the agent's own answer templates.

The held-out split is by asset names (held-out number range and asset kinds never seen in training) and by
phrasing templates (some of every intent's templates), never by random rows.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.answers import format_number, quantity_label, render
from assistant.finetune.formats import PLAN_MAX_ASSETS, answer_prompt, asset_kind, plan_prompt, plan_target
from assistant.prompts import load_layered, load_yaml

LANGS = ("en", "de", "fr", "es", "it")
INTENT_WEIGHTS = {
    "current_value": 3.0, "history_stats": 2.0, "threshold_periods": 1.0, "alarms": 1.2, "documents": 1.2,
    "diagnosis": 1.0, "remaining_useful_life": 1.0, "anomalies": 0.8, "maintenance_plan": 0.6, "compare": 1.0,
    "write_request": 1.0, "out_of_scope": 1.0,
}  # fmt: skip
# training leans on the intents the held-out evaluation finds hardest to tell apart (anomalies from alarms,
# chit-chat from plant questions, a plan from a remaining life); not on write requests, which made imperatives
# that ask to read ("line up A and B") orders; the held-out split keeps the mix above, the questions a plant asks
TRAIN_INTENT_WEIGHTS = {
    **INTENT_WEIGHTS, "current_value": 2.2, "history_stats": 1.6, "remaining_useful_life": 1.1, "anomalies": 1.3,
    "maintenance_plan": 1.0, "out_of_scope": 1.3,
}  # fmt: skip
# kind → (catalog words (English, as in server descriptions), name prefixes, quantities)
KINDS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "pump": (["centrifugal pump", "pump", "dosing pump", "coolant pump"], ["P", "PU"],
             ["temperature", "pressure", "flow", "vibration", "speed", "current"]),
    "compressor": (["air compressor", "screw compressor", "compressor"], ["K", "AC"],
                   ["pressure", "temperature", "power", "current"]),
    "spindle": (["machining spindle", "spindle"], ["S", "SP"], ["speed", "vibration", "temperature", "power"]),
    "tank": (["buffer tank", "storage tank", "tank"], ["T", "TK"], ["level", "temperature"]),
    "conveyor": (["belt conveyor", "conveyor drive", "conveyor"], ["CV", "BC"], ["speed", "current", "power"]),
    "motor": (["drive motor", "motor"], ["M", "MO"], ["current", "temperature", "speed", "power"]),
    "fan": (["cooling fan", "exhaust fan"], ["F", "FN"], ["speed", "vibration", "current"]),
    "gearbox": (["gearbox", "gear unit"], ["G", "GB"], ["temperature", "vibration"]),
    "valve": (["control valve", "valve"], ["V", "XV"], ["flow", "pressure"]),
    "boiler": (["steam boiler", "boiler"], ["B", "BO"], ["pressure", "temperature", "level"]),
    "robot": (["welding robot", "robot"], ["R", "RB"], ["current", "temperature"]),
    "extruder": (["extruder", "twin-screw extruder"], ["E", "EX"], ["temperature", "pressure", "speed", "power"]),
    "blower": (["blower", "side channel blower"], ["BL"], ["pressure", "speed", "power"]),
    "press": (["hydraulic press", "press"], ["PR"], ["pressure", "temperature"]),
    "agitator": (["agitator", "stirrer"], ["AG"], ["speed", "power", "temperature"]),
    "dryer": (["dryer", "belt dryer"], ["D", "DR"], ["temperature", "humidity"]),
    # never in training: the held-out split's unseen kinds
    "heat_exchanger": (["heat exchanger", "plate heat exchanger"], ["HX", "WT"], ["temperature", "pressure", "flow"]),
    "mixer": (["mixer", "batch mixer"], ["MX"], ["speed", "power", "temperature"]),
    "chiller": (["chiller", "water chiller"], ["CH"], ["temperature", "pressure", "power"]),
    "filler": (["filling machine", "bottle filler"], ["FM"], ["speed", "pressure"]),
}  # fmt: skip
HELD_OUT_KINDS = ("heat_exchanger", "mixer", "chiller", "filler")
HELD_OUT_NUMBERS = range(400, 500)  # asset numbers only the held-out split uses
UNITS = {
    "temperature": ("°C", 15.0, 95.0), "pressure": ("bar", 0.5, 12.0), "flow": ("m³/h", 2.0, 180.0),
    "vibration": ("mm/s", 0.3, 11.0), "speed": ("rpm", 300.0, 3600.0), "power": ("kW", 1.0, 90.0),
    "current": ("A", 2.0, 160.0), "level": ("%", 5.0, 98.0), "humidity": ("%", 10.0, 90.0),
}  # fmt: skip
SIGNAL_NAMES = {"temperature": "Temperature", "pressure": "Pressure", "flow": "Flow", "vibration": "VibrationRMS",
                "speed": "Speed", "power": "Power", "current": "MotorCurrent", "level": "Level",
                "humidity": "Humidity"}  # fmt: skip
HOSTS = ("plant", "127.0.0.1:4840", "werk-sued:4840", "10.0.3.15:4840", "opcua.local:48010", "line2-plc:4840")
_ROUTER_CODE = re.compile(r"(?<![Ee]rror )(?<![Cc]ode )\b(P|K|S|T|M|V)-(\d{1,3})\b")
ANSWER_KINDS = ("current_value", "history_stats")
# a history answer carries three numbers and a window where a live one carries one: as many of each
ANSWER_KIND_WEIGHTS = (0.5, 0.5)
LEXICON_SHARE = 0.2  # share of training PLAN questions built from the router's lexicons
# intents whose cue words say what is wanted on their own; the documents cues are left out (months, "before",
# "limit" … mean documents only beside other words)
LEXICON_INTENTS = ("alarms", "anomalies", "diagnosis", "remaining_useful_life", "maintenance_plan")


@dataclass
class Example:
    task: str  # plan | answer
    lang: str
    prompt: str
    target: str
    gold: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


@dataclass
class CatalogAsset:
    name: str
    kind: str  # key of KINDS ("" for a real plant's asset of unknown kind)
    catalog_kind: str  # what the excerpt says (from the description)
    quantities: list[str]


def phrasings(lang: str) -> dict[str, Any]:
    return load_yaml(f"finetune/{lang}.yaml")  # type: ignore[no-any-return]


def split_templates(templates: Sequence[str], split: str) -> list[str]:
    """Every fourth template (index 3, 7, …) is held out; lists shorter than four are train-only."""
    if split == "train":
        return [t for i, t in enumerate(templates) if i % 4 != 3]
    return [t for i, t in enumerate(templates) if i % 4 == 3]


def _lexicon_words(words: Iterable[Any]) -> Iterable[str]:
    for word in words:
        text = str(word).replace("{", "(").replace("}", ")")
        yield text
        if len(text) <= 3 and text.isalpha():
            yield text.upper()  # "RUL", "MAX": short words are often written as acronyms


def _folded(template: str) -> str:
    return template.casefold().rstrip(" .!?")


def lexicon_templates(lang: str) -> dict[str, list[str]]:
    """Training questions from the router's own vocabulary (``prompts/lexicon``) in the language's generic
    ``frames``: cue words of :data:`LEXICON_INTENTS` (``intent_cues.yaml``), write verbs as infinitives and
    imperatives (``write_verbs.yaml``), statistics words (``aggregates.yaml``) and the language's verbs that
    acknowledge or reset alarms (``ack_verbs``, in frames that name the alarms: an order, not a question about
    alarms). They teach what the words of an intent mean, whatever phrasing carries them."""
    frames = phrasings(lang).get("frames") or {}
    cues = load_yaml("lexicon/intent_cues.yaml")
    writes = load_yaml("lexicon/write_verbs.yaml")
    sources = [(intent, "cue", cues.get(intent, {}).get(lang, [])) for intent in LEXICON_INTENTS]
    sources += [("write_request", "verb", writes["infinitives"].get(lang, [])),
                ("write_request", "imp", writes["verbs"].get(lang, [])),
                ("write_request", "ack", phrasings(lang).get("ack_verbs", [])),
                ("history_stats", "stat", load_yaml("lexicon/aggregates.yaml").get(lang, []))]  # fmt: skip
    out: dict[str, list[str]] = {}
    for intent, slot, words in sources:
        for word in _lexicon_words(words):
            out.setdefault(intent, []).extend(f.replace("{" + slot + "}", word) for f in frames.get(slot, []))
    return {intent: ts for intent, ts in out.items() if ts}


def router_templates(lang: str) -> dict[str, list[str]]:
    """The router's example questions with their asset codes turned into slots (training only)."""
    out: dict[str, list[str]] = {}
    for intent, questions in load_layered("router", lang).items():
        for q in questions or []:
            n = 0

            def slot(_m: re.Match[str]) -> str:
                nonlocal n
                n += 1
                return "{a}" if n == 1 else "{b}"

            out.setdefault(intent, []).append(_ROUTER_CODE.sub(slot, str(q).replace("{", "(").replace("}", ")")))
    return out


def demo_catalog() -> list[CatalogAsset]:
    """The demo plant, described as its OPC UA server describes it."""
    from assistant.sim.layout import demo_layout

    out = []
    for _path, spec in demo_layout().assets():
        quantities = KINDS.get(spec.kind, ([], [], ["temperature"]))[2]
        out.append(CatalogAsset(spec.id, spec.kind, asset_kind(spec.id, spec.description_en), list(quantities)))
    return out


def kind_of(kind_words: str) -> str:
    """The :data:`KINDS` key whose catalog words appear in an excerpt's kind ("coolant pump" → pump), else ""."""
    return next((k for k, (words, _p, _q) in KINDS.items() if any(w in kind_words for w in words)), "")


def catalog_from_assets(assets: Iterable[Any]) -> list[CatalogAsset]:
    """A browsed OPC UA catalog (``tools.opcua.catalog.Asset``) as generator input (``--plant``)."""
    from tools.opcua.resolve import signal_quantity

    out = []
    for a in assets:
        qs = sorted({q for s in a.signals if (q := signal_quantity(s)) in UNITS}) or ["temperature"]
        kind_words = asset_kind(a.display_name, a.description)
        out.append(CatalogAsset(a.display_name, kind_of(kind_words), kind_words, qs))
    return out


class Generator:
    """Draws examples for one split from a seeded random stream."""

    def __init__(self, split: str, seed: int, plant: list[CatalogAsset] | None = None) -> None:
        self.split = split
        self.rng = random.Random(f"{seed}:{split}")
        self.plant = plant if plant is not None else demo_catalog()
        self.kinds = [k for k in KINDS if k not in HELD_OUT_KINDS]
        self.templates: dict[str, dict[str, list[str]]] = {}
        self.lexicon: dict[str, dict[str, list[str]]] = {}
        for lang in LANGS:
            own = {i: split_templates(ts, split) for i, ts in phrasings(lang)["plan"].items()}
            if split == "train":  # the router's examples, training-only phrasings (``plan_extra``: never held out,
                # so adding some leaves the held-out set as it was) and lexicons, unless one equals a held-out template
                held = {t for ts in phrasings(lang)["plan"].values() for t in split_templates(ts, "test")}
                folded = {_folded(t) for t in held}
                extra = (phrasings(lang).get("plan_extra") or {}).items()
                for intent, ts in [*router_templates(lang).items(), *extra]:
                    own.setdefault(intent, []).extend(t for t in ts if _folded(t) not in folded)
                for intent, ts in lexicon_templates(lang).items():
                    if kept := [t for t in ts if _folded(t) not in folded]:
                        self.lexicon.setdefault(lang, {})[intent] = kept
            self.templates[lang] = own

    # --- catalogs -------------------------------------------------------------------------------------------------
    def _name(self, kind: str, taken: set[str]) -> str:
        prefixes = KINDS[kind][1]
        for _ in range(100):
            pre = self.rng.choice(prefixes)
            if self.split == "test":
                n = self.rng.choice(HELD_OUT_NUMBERS) if kind not in HELD_OUT_KINDS else self.rng.randint(1, 999)
            else:
                n = self.rng.choice([*range(1, 400), *range(500, 1000)])
            style = self.rng.random()
            # names without a dash ("P101") are common in plants; training draws more of them than the held-out
            # split, so a dashed name is never the model's default for a number it has not seen
            dashless = 0.35 if self.split == "train" else 0.15
            if style < dashless:
                name = f"{pre}{n}"
            else:
                suffixed = style < dashless + 0.10  # "P-101A": a tenth of the names in either split
                name = f"{pre}-{n}{self.rng.choice('AB')}" if suffixed else f"{pre}-{n}"
            if name not in taken:
                return name
        raise RuntimeError("could not draw a fresh asset name")

    def catalog(self) -> list[CatalogAsset]:
        if self.split == "train" and self.plant and self.rng.random() < 0.3:  # an excerpt, as the planner sends
            size = self.rng.randint(3, min(PLAN_MAX_ASSETS, len(self.plant)))
            keep = set(self.rng.sample(range(len(self.plant)), k=size))
            return [c for i, c in enumerate(self.plant) if i in keep]
        kinds = self.rng.sample(self.kinds, k=min(len(self.kinds), self.rng.randint(2, 3)))
        if self.split == "test":  # unseen names: held-out kinds plus seen kinds in the held-out number range
            seen = [k for k in KINDS if k not in HELD_OUT_KINDS]
            kinds = self.rng.sample(list(HELD_OUT_KINDS), k=self.rng.randint(1, 2)) + self.rng.sample(seen, k=1)
        out: list[CatalogAsset] = []
        taken: set[str] = set()
        for kind in kinds:
            words = self.rng.choice(KINDS[kind][0])
            for _ in range(self.rng.randint(1, 3)):
                name = self._name(kind, taken)
                taken.add(name)
                # the excerpt's kind as the agent writes it from a server's description ("plate heat exchanger
                # HX-4" → "heat exchanger"), so training prompts are the prompts the planner sends
                out.append(CatalogAsset(name, kind, asset_kind(name, f"{words} {name}"), list(KINDS[kind][2])))
        return out

    # --- slots ----------------------------------------------------------------------------------------------------
    def _say_asset(self, asset: CatalogAsset, lang: str) -> str:
        r = self.rng.random()
        word = phrasings(lang)["kinds"].get(asset.kind)
        if r < 0.3 and word:
            return f"{word} {asset.name}"
        if r < 0.4:
            return asset.name.replace("-", "") if self.rng.random() < 0.5 else asset.name.lower()
        return asset.name

    def _quantity_word(self, quantity: str, lang: str) -> str:
        word = quantity_label(quantity, quantity, lang)
        return word

    def _fill(self, template: str, lang: str, a: CatalogAsset | None, b: CatalogAsset | None, q: str) -> str:
        unit, low, high = UNITS[q]
        fields = {
            "a": self._say_asset(a, lang) if a else "",
            "b": self._say_asset(b, lang) if b else "",
            "q": self._quantity_word(q, lang),
            "t": self.rng.choice(phrasings(lang)["times"]),
            "x": f"{round(self.rng.uniform(low, high))} {unit}",
            "n": str(self.rng.randint(1, 99)),
        }
        text = template.format(**fields)
        return text[:1].upper() + text[1:] if text[:1].islower() and self.rng.random() < 0.8 else text

    # --- PLAN -----------------------------------------------------------------------------------------------------
    def plan(self, lang: str) -> Example:
        catalog = self.catalog()
        entries = [(c.name, c.catalog_kind) for c in catalog]
        r = self.rng.random()
        if r < 0.08:
            return self._followup(lang, catalog, entries)
        if r < 0.12:
            clarified = self._clarify(lang, catalog, entries)
            if clarified is not None:
                return clarified
        case = "plain"
        if r < 0.12 + LEXICON_SHARE and self.lexicon.get(lang):
            case = "lexicon"
            intent = self.rng.choice(sorted(self.lexicon[lang]))
            template = self.rng.choice(self.lexicon[lang][intent])
        else:
            weights = TRAIN_INTENT_WEIGHTS if self.split == "train" else INTENT_WEIGHTS
            intents = list(weights)
            intent = self.rng.choices(intents, weights=[weights[i] for i in intents])[0]
            template = self.rng.choice(self.templates[lang][intent])
        a = self.rng.choice(catalog)
        same_kind = [c for c in catalog if c.kind == a.kind and c.name != a.name]
        b = self.rng.choice(same_kind or [c for c in catalog if c.name != a.name] or [a])
        q = self.rng.choice(a.quantities)
        question = self._fill(template, lang, a, b, q)
        assets = [a.name] if "{a}" in template else []
        if "{b}" in template and b.name != a.name:
            assets.append(b.name)
        return Example("plan", lang, plan_prompt(entries, question), plan_target(intent, assets),
                       {"intent": intent, "assets": assets, "case": case, "template": template,
                        "names": [c.name for c in catalog]})  # fmt: skip

    def _first_turn(self, lang: str, catalog: list[CatalogAsset]) -> tuple[str, str, CatalogAsset, str]:
        intents = ["current_value", "history_stats", "alarms", "diagnosis", "remaining_useful_life"]
        self.rng.shuffle(intents)
        for intent in intents:
            candidates = [t for t in self.templates[lang][intent] if "{a}" in t and "{b}" not in t]
            if candidates:
                break
        a = self.rng.choice(catalog)
        return intent, self._fill(self.rng.choice(candidates), lang, a, None, self.rng.choice(a.quantities)), a, ""

    def _followup(self, lang: str, catalog: list[CatalogAsset], entries: list[tuple[str, str]]) -> Example:
        intent, first, a, _ = self._first_turn(lang, catalog)
        previous = (first, plan_target(intent, [a.name]))
        follow = phrasings(lang)["followups"]
        others = [c for c in catalog if c.name != a.name]
        # "and yesterday?" follow-ups (same asset, new time) have too few phrasings to hold some out: training only
        if others and (self.split == "test" or intent != "history_stats" or self.rng.random() < 0.5):
            b = self.rng.choice(others)
            template = self.rng.choice(split_templates(follow["same_intent_new_asset"], self.split) or
                                       follow["same_intent_new_asset"])  # fmt: skip
            question, label = self._fill(template, lang, b, None, "temperature"), (intent, [b.name])
        else:
            template = self.rng.choice(follow["history_same_asset"])
            question, label = self._fill(template, lang, None, None, "temperature"), ("history_stats", [a.name])
            if intent not in ("current_value", "history_stats"):
                label = (intent, [a.name])
        return Example("plan", lang, plan_prompt(entries, question, previous), plan_target(*label),
                       {"intent": label[0], "assets": label[1], "case": "followup", "template": template,
                        "names": [c.name for c in catalog]})  # fmt: skip

    def _clarify(self, lang: str, catalog: list[CatalogAsset], entries: list[tuple[str, str]]) -> Example | None:
        """A kind named but not which one, where the plant has several: no asset chosen (the agent asks)."""
        by_kind: dict[str, list[CatalogAsset]] = {}
        for c in catalog:
            if c.kind:
                by_kind.setdefault(c.kind, []).append(c)
        several = [k for k, cs in by_kind.items() if len(cs) >= 2 and k in phrasings(lang)["kinds"]]
        if not several:
            return None
        kind = self.rng.choice(several)
        intent = self.rng.choice(["current_value", "history_stats", "diagnosis"])
        candidates = [t for t in self.templates[lang][intent] if "{a}" in t and "{b}" not in t]
        if not candidates:
            return None
        template = self.rng.choice(candidates)
        word = phrasings(lang)["kinds"][kind]
        q = self.rng.choice(by_kind[kind][0].quantities)
        question = self._fill(template.replace("{a}", ("the " if lang == "en" else "") + word), lang, None, None, q)
        return Example("plan", lang, plan_prompt(entries, question), plan_target(intent, []),
                       {"intent": intent, "assets": [], "case": "clarify", "template": template,
                        "names": [c.name for c in catalog]})  # fmt: skip

    # --- ANSWER ---------------------------------------------------------------------------------------------------
    def answer(self, lang: str) -> Example:
        catalog = self.catalog()
        a = self.rng.choice(catalog)
        q = self.rng.choice(a.quantities)
        unit, low, high = UNITS[q]
        kind = self.rng.choices(ANSWER_KINDS, weights=ANSWER_KIND_WEIGHTS)[0]
        template = self.rng.choice([t for t in self.templates[lang][kind] if "{a}" in t and "{b}" not in t])
        question = self._fill(template, lang, a, None, q)
        host = self.rng.choice(HOSTS)
        endpoint = f"opc.tcp://{host}" + self.rng.choice(["", "/plant", "/werk/sued"])
        ns = self.rng.choice(["urn:iiot-assistant:demo-plant", "urn:werk-sued:anlage", f"urn:{host.split(':')[0]}:ua"])
        node = f"nsu={ns};s={a.name}.{SIGNAL_NAMES[q]}"
        label = quantity_label(q, q, lang)

        def num(v: float) -> str:
            return format_number(round(v, self.rng.choice([0, 1, 1, 2])), lang)

        def stamp() -> str:
            day = f"2026-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
            hour = f"{self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}"
            return f"{day} {hour}:{self.rng.randint(0, 59):02d} UTC"

        if kind == "current_value":
            value = num(self.rng.uniform(low, high))
            fields = dict(quantity=label, asset=a.name, value=value, unit=unit, time=stamp(), node=node,
                          endpoint=endpoint)  # fmt: skip
            facts = render("current_value", lang, **fields)
        else:
            lo, hi = sorted(self.rng.uniform(low, high) for _ in range(2))
            value = num((lo + hi) / 2)
            start, end = sorted([stamp(), stamp()])
            fields = dict(quantity=label, asset=a.name, avg=value, min=num(lo), max=num(hi), unit=unit,
                          count=self.rng.randint(60, 8000), start=start, end=end,
                          source=self.rng.choice(["historian", f"OPC UA HistoryRead {endpoint}"]))  # fmt: skip
            facts = render("history_stats", lang, **fields)
        target = self.rng.choice(phrasings(lang)["answers"][kind]).format(**fields)
        target = target[:1].upper() + target[1:]
        return Example("answer", lang, answer_prompt(lang, facts), target,
                       {"kind": kind, "value": value, "unit": unit, "asset": a.name, "template": template,
                        "question": question})  # fmt: skip


def _lang_sequence(rng: random.Random, n: int, balanced: bool) -> list[str]:
    if balanced:
        return [LANGS[i % len(LANGS)] for i in range(n)]
    return rng.choices(LANGS, k=n)  # every language alike, as the held-out split: each is scored on its own


def generate(
    split: str, *, seed: int = 0, n_plan: int, n_answer: int, plant: list[CatalogAsset] | None = None
) -> list[Example]:
    """``n_plan`` PLAN and ``n_answer`` ANSWER examples of one split (``train`` or ``test``), deterministic in seed."""
    gen = Generator(split, seed, plant)
    balanced = split == "test"
    rows = [gen.plan(lang) for lang in _lang_sequence(gen.rng, n_plan, balanced)]
    # answers in every language alike: each language has its own target (value, unit and language right)
    rows += [gen.answer(lang) for lang in _lang_sequence(gen.rng, n_answer, balanced=True)]
    if split == "train":
        gen.rng.shuffle(rows)
    return rows


def write_jsonl(rows: Iterable[Example], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(r.to_json() + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[Example]:
    return [Example(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
