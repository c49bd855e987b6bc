"""Planning a question into slots — intent, assets, quantity words, follow-up context — on rails.

Three layers, cheapest first:
1. the semantic router (intent) and the catalog resolver (assets, quantities), corrected by rails that read what
   the question literally says (an asset plus a measured quantity is a plant question);
2. the conversation: a follow-up without an asset or a quantity ("and yesterday?", "und bei P-102?") inherits them
   from the previous turn;
3. when the router is unsure, the LLM fills the same slots with grammar-constrained JSON whose enums are the real
   intents and the catalog's asset names — it cannot name a tool or an asset that does not exist. Its plan is
   validated like any other before anything runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.config import PlantSettings
from assistant.errors import OperatorError
from assistant.llm.base import LLM
from assistant.prompts import load_yaml
from assistant.router import Route
from assistant.skills.history import threshold_of
from tools.opcua.catalog import Asset
from tools.opcua.resolve import (
    AssetMatch,
    Resolution,
    assets_asked_among,
    assets_of_kind,
    contains_phrase,
    fold,
    names_equipment,
    question_quantities,
    resolve_assets,
    unknown_asset_codes,
    words,
)

FOLLOW_UP_MAX_WORDS = 6
CUE_MARGIN = 0.15  # how far behind the router's first choice an intent named by cue words may be
# intents about the plant's state now; asked of a named past period (a month, a date, a season) the logs answer
LOGGED_PAST_INTENTS = frozenset({"diagnosis", "remaining_useful_life", "anomalies", "alarms"})
# intents whose tools take a whole line or area ("anomalies on line 1")
PLACE_INTENTS = frozenset({"anomalies"})
DOCUMENTS_REACH = 0.1  # an asset-less question this close to a document question is looked up in the documents
# intents the router may only guess when unsure if the question also uses their cue words
CUE_INTENTS = frozenset({"alarms", "anomalies", "diagnosis", "remaining_useful_life"})
# intents that are about the plant as a whole unless an asset is named
ASSET_FREE_INTENTS = frozenset(
    {"alarms", "maintenance_plan", "documents", "anomalies", "out_of_scope", "write_request"}
)


@dataclass
class Slots:
    intent: str
    assets: list[Asset] = field(default_factory=list)
    ambiguous: list[AssetMatch] = field(default_factory=list)
    quantities: list[str] = field(default_factory=list)
    context_question: str = ""  # the earlier question a follow-up borrows its words from
    unknown_codes: list[str] = field(default_factory=list)  # asset-like codes that name nothing in the plant
    source: str = "router"  # router | rails (a rule decided; not re-planned) | context | llm

    @property
    def asset(self) -> Asset | None:
        return self.assets[0] if self.assets else None


@dataclass
class Conversation:
    """What the previous turns resolved, so follow-ups can lean on them. One per chat session."""

    history: list[tuple[str, Slots]] = field(default_factory=list)

    @property
    def last(self) -> tuple[str, Slots] | None:
        return self.history[-1] if self.history else None

    def remember(self, question: str, slots: Slots) -> None:
        self.history.append((question, slots))
        del self.history[:-10]


def _mentioned(resolution: Resolution) -> list[Asset]:
    strong = [m.asset for m in resolution.assets if m.score >= 0.9]
    if strong:
        return strong
    return [resolution.best.asset] if resolution.best and not resolution.ambiguous else []


def _aggregate_words() -> set[str]:
    return {fold(w) for ws in load_yaml("lexicon/aggregates.yaml").values() for w in ws}


def _lexicon_words(section: str) -> set[str]:
    return {fold(w) for ws in load_yaml("lexicon/write_verbs.yaml")[section].values() for w in ws}


def is_write_command(question: str) -> bool:
    """A clause that starts with a plant-changing verb ("Acknowledge all alarms", "SYSTEM: write 100 to …",
    "… und schalte P-101 ab") in a sentence that is not a question: a write request, however it is dressed up."""
    if question.rstrip().endswith(("?", "？")):
        return False
    verbs, polite, joiners = _lexicon_words("verbs"), _lexicon_words("polite"), _lexicon_words("joiners")
    tokens = [fold(t.strip(",;\"'«»„“”()")) for t in re.split(r"\s+|(?<=[.:;!])", question) if t.strip()]
    at_start = True
    for token in tokens:
        bare = token.rstrip(".:;!")
        if at_start and bare in verbs:
            return True
        at_start = (at_start and bare in polite) or bare in joiners or token != bare or not bare
    return False


def mentions_write_verb(question: str) -> bool:
    """Whether any word of the question is a plant-changing verb or starts with one ("abschalten" → "schalt")."""
    verbs = {v for v in _lexicon_words("verbs") | _lexicon_words("infinitives") if len(v) >= 3}
    tokens = [fold(t.strip(".,;:!?\"'«»„“”()¿¡")) for t in question.split()]
    return any(t in verbs or any(len(v) >= 5 and v in t for v in verbs) for t in tokens)


def cued_intents(question: str) -> set[str]:
    """Intents whose cue words the question uses (``prompts/lexicon/intent_cues.yaml``)."""
    qwords = words(question)
    found = set()
    for intent, langs in load_yaml("lexicon/intent_cues.yaml").items():
        for cue in (c for cs in langs.values() for c in cs):
            cw = words(cue)
            single = len(cw) == 1 and any(q == cw[0] or (len(cw[0]) >= 5 and q.startswith(cw[0])) for q in qwords)
            if single or (len(cw) > 1 and contains_phrase(qwords, cue)):
                found.add(intent)
    return found


def assets_in_named_place(question: str, assets: list[Asset]) -> list[Asset]:
    """Assets under the lines or areas the question names ("machining line 1", "Linie 2", "Druckluftstation");
    empty when it names none or only single assets."""
    from tools.kpi.discovery import find_scopes

    own = {a.path_text for a in assets}
    places = [p for p in find_scopes(question, own) if p not in own]
    return [a for a in assets if any(a.path_text.startswith(p + "/") for p in places)]


def continues(question: str) -> bool:
    """Whether the question opens like a follow-up ("And on K-2 only?", "Und bei P-102?", "What about …")."""
    qwords = words(question)
    openers = (words(w) for ws in load_yaml("lexicon/continuations.yaml").values() for w in ws)
    return any(o and qwords[: len(o)] == o for o in openers)


def names_a_past_period(question: str) -> bool:
    """Whether the question names a calendar period ('in November', 'am 6. Oktober', 'this autumn')."""
    from datetime import UTC, datetime

    from tools.documents.dates import named_period

    return named_period(question, datetime.now(UTC).date()) is not None


def names_a_time(question: str, plant: PlantSettings | None = None) -> bool:
    """Whether the question names a time window ('yesterday', 'letzte Stunde', 'since 6 am')."""
    from tools.historian.timewindow import window_from

    try:
        window_from(question, plant)
    except OperatorError:
        return False
    return True


def slots_from_rails(
    question: str, route: Route, assets: list[Asset], conversation: Conversation | None,
    plant: PlantSettings | None = None,
) -> Slots:  # fmt: skip
    resolution = resolve_assets(question, assets)
    slots = Slots(
        intent=route.intent,
        assets=_mentioned(resolution),
        ambiguous=resolution.assets if resolution.ambiguous else [],
        quantities=question_quantities(question),
    )
    if is_write_command(question):
        slots.intent = "write_request"  # an order to change the plant: refused here, whatever else it says
        slots.source = "rails"
        return slots
    cues = cued_intents(question) & set(dict(route.ranking))
    if {"documents", "alarms"} <= cues and slots.intent == "alarms":
        slots.intent = "documents"  # "what does alarm E-15 mean", "what caused the E-14 alarm in September"
    if cues and slots.intent not in cues:
        scores = dict(route.ranking)
        cue = max(cues, key=lambda i: scores[i])
        if scores[cue] >= route.score - CUE_MARGIN or not route.confident:
            slots.intent = cue  # the question's own words say what it wants, and the router nearly agreed
    if slots.intent == "out_of_scope" and slots.assets and slots.quantities:
        slots.intent = "current_value"  # an asset and a measured quantity: a plant question, whatever the wording
    # a fault/alarm intent the question's words do not ask for, about an asset and a measured quantity: a reading
    # ("is P-103 running?", "what is the vibration of P-102?"): no word of alarms, faults or remaining life
    if slots.intent in CUE_INTENTS and slots.intent not in cues and slots.assets and slots.quantities:
        slots.intent = "current_value"
    last = conversation.last if conversation else None
    if last and len(question.split()) <= FOLLOW_UP_MAX_WORDS and not slots.ambiguous:
        prev_question, prev = last
        carries_on = continues(question) and not cues
        if (not route.confident or carries_on or slots.intent == "out_of_scope") and prev.intent != "out_of_scope":
            slots.intent = prev.intent  # "and yesterday?" keeps asking what was asked
            slots.source = "context"
        named_kind = assets_of_kind(question, assets)
        same_kind = not named_kind or any(a in named_kind for a in prev.assets)  # "und die Pumpe?" after K-1: no
        if not slots.assets and prev.assets and slots.intent not in ASSET_FREE_INTENTS and same_kind:
            slots.assets = list(prev.assets)
            slots.source = "context"
        if not slots.quantities and prev.quantities and slots.intent not in ASSET_FREE_INTENTS:
            slots.quantities = list(prev.quantities)
            slots.context_question = prev_question
            slots.source = "context"
    if slots.intent == "write_request" and not mentions_write_verb(question) and (slots.assets or slots.quantities):
        slots.intent = "current_value"  # "what is the set-point of T-101?" asks to read, not to write
    if not slots.assets and not slots.ambiguous and slots.intent != "write_request" and "documents" not in cues:
        slots.unknown_codes = unknown_asset_codes(question, assets)
        of_kind = [] if slots.unknown_codes else assets_of_kind(question, assets)
        if of_kind and (slots.intent not in ASSET_FREE_INTENTS or slots.quantities):
            if len(of_kind) == 1:
                slots.assets = of_kind  # "the compressor" in a plant with one compressor
            elif among := assets_asked_among(question, assets):
                # "which pump is the hottest?": all of them, to choose among; "which spindle had the most alarms?":
                # an alarm or KPI question over all assets of the plant, no question back
                if slots.intent not in ASSET_FREE_INTENTS or slots.intent in ("out_of_scope", "documents"):
                    slots.assets = among
            else:  # "the pump" among several pumps: ask which
                slots.ambiguous = [AssetMatch(a, 0.5, "of the kind the question names") for a in of_kind]
            if slots.intent in ("out_of_scope", "documents"):
                slots.intent = "current_value"
    placed = assets_in_named_place(question, assets) if slots.intent in PLACE_INTENTS else []
    if placed and (not slots.assets or (all(a in placed for a in slots.assets) and len(slots.assets) < len(placed))):
        slots.assets, slots.ambiguous = placed, []  # "anomalies on line 1": every asset of that line
    if slots.intent == "current_value" and len(slots.assets) >= 2:
        slots.intent = "compare"  # "which is hotter, P-101 or P-104?"
    elif slots.intent == "compare" and len(slots.assets) < 2 and not slots.ambiguous:
        slots.intent = "current_value"
    asks_statistic = bool(set(words(question)) & _aggregate_words())
    if slots.intent in ("current_value", "compare", "diagnosis", "anomalies", "remaining_useful_life") and (
        (slots.intent == "current_value" or asks_statistic) and names_a_time(question, plant)
    ):
        slots.intent = "history_stats"  # "average temperature of P-101 yesterday": a value over time, not now
    elif (
        slots.intent == "history_stats"
        and slots.source == "router"
        and not route.confident
        and slots.assets
        and not asks_statistic
        and not names_a_time(question, plant)
    ):
        slots.intent = "current_value"  # "wie hoch ist der Füllstand von T-101?": no window, no statistic: now
    about_assets = slots.intent not in ASSET_FREE_INTENTS or (slots.intent == "documents" and bool(slots.assets))
    if about_assets and threshold_of(question) and names_a_time(question, plant):
        slots.intent = "threshold_periods"  # "when was … above 80 °C yesterday": periods beyond a limit
    if slots.intent in LOGGED_PAST_INTENTS and names_a_past_period(question):
        slots.intent = "documents"  # "who repaired S-4 in November?", "alarms this autumn": the logs, not now
    # about a kind of equipment but no asset of this plant and no measured quantity ("which bearing do I order for
    # a cooling water pump?"): only documents can answer, so they get a wider margin
    reach = 2 * DOCUMENTS_REACH if names_equipment(question) and not slots.quantities else DOCUMENTS_REACH
    close_to_documents = dict(route.ranking).get("documents", 0.0) >= route.score - reach
    if (
        slots.intent not in ASSET_FREE_INTENTS
        and not slots.assets
        and not slots.ambiguous
        and not slots.unknown_codes
        and close_to_documents
    ):
        slots.intent = "documents"  # about no asset of this plant, close to a document question: look it up
    return slots


def llm_may_plan(route: Route, slots: Slots) -> bool:
    """Whether the LLM may fill the slots (``llm.plan_when_unsure``): the router was unsure and no rule decided.
    A write command the rails found stays one, whatever the model reads into it ("acknowledge the alarms" is an
    order, not a question about alarms)."""
    return not route.confident and slots.source == "router"


def slots_from_llm(
    llm: LLM, question: str, intents: list[str], assets: list[Asset], max_tokens: int = 64,
    conversation: Conversation | None = None,
) -> Slots | None:  # fmt: skip
    """Grammar-constrained slot filling; None when the model's plan does not validate.

    The prompt is the PLAN format the plant adapter is trained on (:mod:`assistant.finetune.formats`): a catalog
    excerpt (assets the question names first), the previous turn when there is one, the question. A plan is kept
    only inside the enums (the intents, the excerpt's asset names); when the free greedy plan is outside them, the
    grammar-constrained decode decides — the model cannot name anything that does not exist.
    """
    from assistant.finetune.formats import decode_plan, plan_entries, plan_excerpt, plan_prompt, plan_target

    excerpt = plan_excerpt(question, assets)
    names = [a.display_name for a in excerpt]
    previous = None
    if conversation is not None and conversation.last is not None:
        prev_question, prev = conversation.last
        previous = (prev_question, plan_target(prev.intent, [a.display_name for a in prev.assets]))
    prompt = plan_prompt(plan_entries(excerpt), question, previous)
    plan, _text = decode_plan(llm, prompt, intents, names, max_tokens=max_tokens)
    if plan is None:
        return None
    chosen = [a for name in plan["assets"] for a in excerpt if a.display_name == name]
    return Slots(intent=plan["intent"], assets=chosen, quantities=question_quantities(question), source="llm")
