"""Resolve an operator's words to catalog entries: which asset, which signal — ranked, explained, general.

Works on any browsed catalog: asset codes are compared in normalised form ("P-101" = "P101" = "p 101"),
"Pumpe 101" matches an asset whose number is 101 and whose name/description/path says pump in any language
(``prompts/lexicon/asset_types.yaml``), and signals are chosen by the physical quantity the question names
(``prompts/lexicon/quantities.yaml``, by word or by engineering unit) and by words of their own names.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from assistant.prompts import load_yaml
from tools.opcua.catalog import Asset, Signal

ASSET_CODE = re.compile(r"(?<![\w])([a-zäöü]{1,4})[\s\-_./]?(\d{1,5}[a-z]?)(?![\w])", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,5})(?![\w.,])")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|[_\-\s./]+")


def fold(text: str) -> str:
    """Lower-case, accents removed (ä→a), for comparing words across spellings."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def norm_code(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", fold(text))


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z]+", fold(_CAMEL.sub(" ", text))) if w]


def contains_phrase(haystack_words: list[str], phrase: str) -> bool:
    pw = words(phrase)
    n = len(pw)
    return any(haystack_words[i : i + n] == pw for i in range(len(haystack_words) - n + 1))


@dataclass(slots=True)
class Match:
    score: float
    why: str


@dataclass(slots=True)
class AssetMatch:
    asset: Asset
    score: float
    why: str


@dataclass(slots=True)
class SignalMatch:
    signal: Signal
    score: float
    why: str


@dataclass(slots=True)
class Resolution:
    assets: list[AssetMatch] = field(default_factory=list)

    @property
    def best(self) -> AssetMatch | None:
        return self.assets[0] if self.assets else None

    @property
    def ambiguous(self) -> bool:
        return len(self.assets) > 1 and self.assets[1].score >= self.assets[0].score - 0.05


def _word_in(question_words: list[str], phrase: str, *, compounds: bool = True) -> bool:
    """Whether the question uses ``phrase``: as a phrase, an inflected form ("levels", "hotter"), or inside a
    compound ("Lagertemperatur" ends with "temperatur", "Saugdruck" starts with "saug")."""
    pw = words(phrase)
    if len(pw) != 1:
        return contains_phrase(question_words, phrase)
    w = pw[0]
    for q in question_words:
        if q == w:
            return True
        if len(w) < 3 or len(q) <= len(w):
            continue
        if q.startswith(w) and (compounds or len(q) - len(w) <= 3):
            return True
        if len(w) < 4:
            continue
        if q.endswith(w) or (compounds and len(w) >= 6 and w in q):
            return True
    return False


@functools.cache
def _quantity_words() -> dict[str, tuple[str, ...]]:
    return {
        quantity: tuple(w for ws in spec["words"].values() for w in ws)
        for quantity, spec in load_yaml("lexicon/quantities.yaml").items()
    }


@functools.cache
def _word_groups() -> tuple[tuple[str, ...], ...]:
    """Groups of words meaning the same thing across languages: quantities and qualifiers."""
    groups = list(_quantity_words().values())
    groups += [tuple(w for ws in langs.values() for w in ws) for langs in load_yaml("lexicon/qualifiers.yaml").values()]
    return tuple(groups)


@functools.cache
def _translations(name_word: str) -> tuple[str, ...]:
    """A signal-name word and the words of every group it belongs to ("bearing" → lager, roulement, …)."""
    found = {name_word}
    for group in _word_groups():
        if any(words(w) == [name_word] for w in group):
            found.update(group)
    return tuple(sorted(found))


def question_quantities(question: str) -> list[str]:
    """Quantities (temperature, pressure, ...) named in the question, in the order of the lexicon.

    Whether a machine runs is only asked for when no measured quantity is named ("how fast does it run")."""
    qw = words(question)
    found = [q for q, ws in _quantity_words().items() if any(_word_in(qw, w, compounds=False) for w in ws)]
    if len(found) > 1 and "running" in found:
        found.remove("running")
    return found


def signal_quantity(signal: Signal) -> str | None:
    """The quantity a signal measures: from its unit first, then the words of its name and description."""
    lex = load_yaml("lexicon/quantities.yaml")
    unit_keys = {signal.unit_code, signal.unit}
    for quantity, spec in lex.items():
        if unit_keys & set(spec.get("units", [])) - {""}:
            return quantity
    return quantity_in_words(
        words(f"{signal.browse_name} {signal.display_name}"), signal.data_type.lower() == "boolean"
    )


def quantity_in_words(name_words: list[str], yes_no: bool = False) -> str | None:
    """The quantity a signal name's words say it measures; a yes/no signal ("Loaded") measures no physical one."""
    lex = load_yaml("lexicon/quantities.yaml")
    for quantity, ws in _quantity_words().items():
        if (not yes_no or not lex[quantity].get("units")) and any(_word_in(name_words, w, compounds=False) for w in ws):
            return quantity
    return None


def names_equipment(question: str) -> bool:
    """Whether the question names a kind of equipment ('pump', 'Kühlwasserpumpe', 'compressors'), any plant's."""
    q = words(question)
    return any(_word_in(q, w) for ws in _asset_type_words().values() for w in ws)


def _asset_type_words() -> dict[str, set[str]]:
    return {
        kind: {fold(w) for ws in langs.values() for w in ws}
        for kind, langs in load_yaml("lexicon/asset_types.yaml").items()
    }


def _asset_codes(asset: Asset) -> set[str]:
    codes = {norm_code(asset.display_name), norm_code(asset.browse_name)}
    for text in (asset.display_name, asset.browse_name):
        for letters, digits in ASSET_CODE.findall(text):
            codes.add(norm_code(letters + digits))
        codes.update(norm_code(t) for t in re.split(r"[\s_/]+", text) if re.search(r"\d", t))
    return {c for c in codes if c}


def _asset_numbers(asset: Asset) -> set[str]:
    return {d.lstrip("0") or "0" for d in re.findall(r"\d+", f"{asset.display_name} {asset.browse_name}")}


def _asset_text_words(asset: Asset) -> set[str]:
    return set(words(" ".join([asset.display_name, asset.browse_name, asset.description, *asset.path])))


def _asset_kinds(asset: Asset, type_words: dict[str, set[str]]) -> set[str]:
    text_words = set(words(f"{asset.display_name} {asset.browse_name} {asset.description}"))
    return {kind for kind, ws in type_words.items() if text_words & ws}


def _kinds_named(qwords: set[str], type_words: dict[str, set[str]], plural: bool) -> set[str]:
    """Equipment kinds whose word is one of ``qwords`` (with ``plural``, also with an ending of up to 3 letters)."""
    kinds = {kind for kind, ws in type_words.items() if qwords & ws}
    if plural:
        kinds |= {
            kind
            for kind, ws in type_words.items()
            if any(q.startswith(w) and 0 < len(q) - len(w) <= 3 for q in qwords for w in ws if len(w) >= 3)
        }
    return kinds


def assets_of_kind(question: str, assets: list[Asset], plural: bool = False) -> list[Asset]:
    """Assets of the kind a question names in the singular without saying which ("the pump", "der Kompressor");
    with ``plural``, also of a kind named in the plural ("the compressors", "die Pumpen")."""
    type_words = _asset_type_words()
    sequence = words(question)
    generic = {fold(w) for ws in load_yaml("lexicon/indefinite.yaml").values() for w in ws}
    # "a pump", "eine Pumpe": pumps in general, not one of this plant's
    qwords = {w for i, w in enumerate(sequence) if not (i and sequence[i - 1] in generic)}
    kinds = _kinds_named(qwords, type_words, plural)
    if not kinds:
        return []
    return [a for a in assets if kinds & _asset_kinds(a, type_words)]


def assets_asked_among(question: str, assets: list[Asset]) -> list[Asset]:
    """All assets of the kind a question asks to choose among ("which pump is hottest?", "welche Spindel hatte die
    meisten Alarme?", "quelle pompe…"): the kind word right after a question word, or one word after it."""
    type_words = _asset_type_words()
    sequence = words(question)
    asking = {fold(w) for ws in load_yaml("lexicon/interrogatives.yaml").values() for w in ws}
    kinds: set[str] = set()
    for i, w in enumerate(sequence):
        if w in asking:
            kinds |= _kinds_named(set(sequence[i + 1 : i + 3]), type_words, plural=True)
    return [a for a in assets if kinds & _asset_kinds(a, type_words)] if kinds else []


def unknown_asset_codes(question: str, assets: list[Asset]) -> list[str]:
    """Codes in the question shaped like this plant's asset codes (same letters) that name no asset ("P-999")."""
    prefixes = {norm_code(letters) for a in assets for text in (a.display_name, a.browse_name)
                for letters, _digits in ASSET_CODE.findall(text)}  # fmt: skip
    known = set().union(*(_asset_codes(a) for a in assets)) if assets else set()
    return [f"{letters}-{digits}" for letters, digits in ASSET_CODE.findall(spoken_digits(question))
            if norm_code(letters) in prefixes and norm_code(letters + digits) not in known]  # fmt: skip


@functools.cache
def spoken_digit_table() -> dict[str, str]:
    """Folded spoken digit word → digit, all languages (``prompts/lexicon/digits.yaml``)."""
    return {fold(w): str(d) for langs in load_yaml("lexicon/digits.yaml").values() for w, d in langs.items()}


def spoken_digits(question: str) -> str:
    """Runs of spoken digits become numbers: "pump one oh one" → "pump 101", "K two" → "K 2".

    A run never starts with "oh" (alone it is not a number)."""
    table = spoken_digit_table()
    out: list[str] = []
    run: list[str] = []
    for token in question.split():
        word = fold(token.strip(".,;:?!"))
        if word in table and (run or word != "oh"):
            run.append(table[word])
            if token[-1:] in ".,;:?!":
                out.append("".join(run) + token[-1])
                run = []
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(token)
    if run:
        out.append("".join(run))
    return " ".join(out)


def resolve_assets(question: str, assets: list[Asset], limit: int = 5) -> Resolution:
    """Rank assets by how well the question names them; an empty result means nothing matched."""
    question = spoken_digits(question)
    q_codes = {norm_code(a + b) for a, b in ASSET_CODE.findall(question)}
    q_numbers = {n.lstrip("0") or "0" for n in _NUMBER.findall(question)} | {
        b.lstrip("0") for _a, b in ASSET_CODE.findall(question) if b.isdigit()
    }
    type_words = _asset_type_words()
    qwords = set(words(question))
    q_kinds = {kind for kind, ws in type_words.items() if qwords & ws}
    texts = {id(a): _asset_text_words(a) for a in assets}
    vocabulary = set().union(*texts.values()) if texts else set()
    # the question's words that describe assets at all ("coolant", "pump", "line", "2"), not "the" or "on"
    stop = {fold(w) for ws in load_yaml("lexicon/stopwords.yaml").values() for w in ws}
    descriptive = [w for w in words(question) if w in vocabulary and w not in stop and (len(w) > 2 or w.isdigit())]
    ranked: list[AssetMatch] = []
    for asset in assets:
        codes = _asset_codes(asset)
        score, why = 0.0, ""
        hit = q_codes & codes
        if hit:
            score, why = 1.0, f"code {sorted(hit)[0]!r} matches {asset.display_name!r}"
        else:
            nums = q_numbers & _asset_numbers(asset)
            kinds = q_kinds & _asset_kinds(asset, type_words)
            if nums and kinds:
                score, why = 0.9, f"{sorted(kinds)[0]} number {sorted(nums)[0]} matches {asset.display_name!r}"
            elif len(descriptive) >= 2 and all(w in texts[id(asset)] for w in descriptive):
                score, why = 0.8, f"description and place {descriptive} fit {asset.display_name!r}"
            else:
                name_score = fuzz.token_set_ratio(fold(question), fold(f"{asset.display_name} {asset.description}"))
                if name_score >= 85:
                    score, why = 0.7 * name_score / 100, f"wording resembles {asset.display_name!r}"
        if score > 0:
            ranked.append(AssetMatch(asset, score, why))
    ranked.sort(key=lambda m: (-m.score, m.asset.path_text))
    return Resolution(ranked[:limit])


def resolve_signal(question: str, asset: Asset) -> list[SignalMatch]:
    """Rank an asset's signals for the question: the named quantity first, then the words of the signal's name,
    each understood in any language and inside compounds (``prompts/lexicon/qualifiers.yaml``)."""
    quantities = question_quantities(question)
    qwords = words(question)
    ranked: list[SignalMatch] = []
    for sig in asset.signals:
        name_words = list(dict.fromkeys(words(sig.display_name)))
        exact = [n for n in name_words if any(words(t) == [q] for t in _translations(n) for q in qwords)]
        matched = [n for n in name_words if len(n) > 1 and any(_word_in(qwords, t) for t in _translations(n))]
        quantity = signal_quantity(sig)
        score, why = 0.0, []
        if quantity and quantity in quantities:
            score += 1.0
            why.append(f"measures {quantity}")
        elif quantity is None and name_words and exact == name_words:
            score += 1.0  # a state named by the question's own word ("Is K-1 loaded?")
            why.append("named")
        if matched:  # a word used as such counts more than one found inside a compound or inflected
            score += 0.2 * len(matched) + 0.1 * len(exact)
            why.append(f"name words {matched}")
        if score == 0:
            continue
        # prefer the plain signal ("Temperature") over a specialised one ("BearingTemperature") the question
        # did not ask for
        score -= 0.05 * (len(name_words) - len(matched))
        ranked.append(SignalMatch(sig, round(score, 3), ", ".join(why)))
    ranked.sort(key=lambda m: (-m.score, m.signal.display_name))
    return ranked
