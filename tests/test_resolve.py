"""Operator wording → catalog entries, on hand-made catalogs (no plant names built in)."""

from __future__ import annotations

from tools.opcua.catalog import Asset, Signal
from tools.opcua.resolve import question_quantities, resolve_assets, resolve_signal


def _sig(name: str, unit: str = "", code: str = "", data_type: str = "Double") -> Signal:
    return Signal(
        node_id=f"ns=2;s={name}",
        namespace_uri="urn:t",
        browse_name=name,
        display_name=name,
        description="",
        path=[name],
        asset_node_id="a",
        unit=unit,
        unit_code=code,
        data_type=data_type,
    )


def _asset(name: str, desc: str, signals: list[Signal], browse: str | None = None) -> Asset:
    return Asset(
        node_id=f"ns=2;s={name}",
        browse_name=browse or name,
        display_name=name,
        description=desc,
        path=["Site", name],
        endpoint="opc.tcp://x",
        signals=signals,
    )


ASSETS = [
    _asset(
        "P-101",
        "Centrifugal pump",
        [
            _sig("Temperature", "°C", "CEL"),
            _sig("BearingTemperature", "°C", "CEL"),
            _sig("DischargePressure", "bar", "BAR"),
        ],
    ),
    _asset("P-102", "Centrifugal pump", [_sig("Temperature", "°C", "CEL")]),
    _asset("Verdichter 2", "Schraubenkompressor", [_sig("Netzdruck", "bar", "BAR")], browse="K2"),
    _asset("Mixer_M7", "Agitator in tank 7", [_sig("Drehzahl", "rpm", "RPM")]),
]


def _best(q: str) -> str:
    res = resolve_assets(q, ASSETS)
    assert res.best is not None, q
    return res.best.asset.display_name


def test_codes_match_in_any_spelling() -> None:
    for q in ("temperature of P-101?", "P101 temperature", "Temperatur p 101", "p_101 temp"):
        assert _best(q) == "P-101"
    assert _best("Druck an K-2") == "Verdichter 2"


def test_kind_and_number_in_other_languages() -> None:
    assert _best("Wie warm ist die Pumpe 102?") == "P-102"
    assert _best("Drehzahl von Mischer 7") == "Mixer_M7"  # kind word (German) + number


def test_ambiguous_and_missing() -> None:
    res = resolve_assets("temperature of the pump", ASSETS)
    assert res.ambiguous or res.best is None
    assert resolve_assets("what is the weather in Paris", ASSETS).best is None


def test_signal_by_quantity_word_and_unit() -> None:
    pump = ASSETS[0]
    assert resolve_signal("current temperature of P-101", pump)[0].signal.display_name == "Temperature"
    assert resolve_signal("Temperatur der Pumpe P-101", pump)[0].signal.display_name == "Temperature"
    assert resolve_signal("bearing temperature of P-101", pump)[0].signal.display_name == "BearingTemperature"
    assert resolve_signal("Druck von P-101", pump)[0].signal.display_name == "DischargePressure"
    assert resolve_signal("pression de P-101", pump)[0].signal.display_name == "DischargePressure"
    assert resolve_signal("colour of P-101", pump) == []


def test_signal_words_in_compounds_inflections_and_states() -> None:
    """Signal-name words are understood across languages and inside German compounds; yes/no states by name."""
    machine = _asset("M-7", "Machine", [
        _sig("Running", data_type="Boolean"), _sig("Loaded", data_type="Boolean"),
        _sig("Power", "kW", "KWT"), _sig("Temperature", "°C", "CEL"), _sig("BearingTemperature", "°C", "CEL"),
        _sig("SuctionPressure", "bar", "BAR"), _sig("OutletPressure", "bar", "BAR"), _sig("BeltSpeed", "m/s", "MTS"),
        _sig("OperatingHours", "h", "HUR"), _sig("Level", "%", "P1"),
    ])  # fmt: skip

    def best(question: str) -> str:
        return resolve_signal(question, machine)[0].signal.display_name

    assert best("Wie hoch ist die Lagertemperatur von M-7?") == "BearingTemperature"
    assert best("Durchschnittstemperatur von M-7") == "Temperature"
    assert best("Wie hoch ist der Saugdruck von M-7?") == "SuctionPressure"
    assert best("Is M-7 running?") == "Running"
    assert best("Läuft M-7?") == "Running"
    assert best("Is M-7 loaded?") == "Loaded"
    assert best("How much power does M-7 draw?") == "Power"
    assert best("Wie schnell läuft das Band von M-7?") == "BeltSpeed"  # "läuft" does not make it a yes/no question
    assert best("How many operating hours has M-7?") == "OperatingHours"
    assert best("Which is hotter, M-7 or M-8?") == "Temperature"
    assert best("Wie voll ist M-7?") == "Level"


def test_question_quantities_multilingual() -> None:
    assert question_quantities("Wie hoch ist der Druck?") == ["pressure"]
    assert question_quantities("¿Cuál es la temperatura?") == ["temperature"]
    assert question_quantities("hello") == []


def _placed(name: str, description: str, area: str, line: str, sig: Signal) -> Asset:
    return Asset(node_id=name, browse_name=name, display_name=name, description=description,
                 path=["Site", area, line, name], endpoint="x", signals=[sig])  # fmt: skip


PLANT = [
    _placed(
        "P-111", "Centrifugal pump P-111, coolant pump line 1", "Machining", "Line1", _sig("Temperature", "°C", "CEL")
    ),
    _placed(
        "P-211", "Centrifugal pump P-211, coolant pump line 2", "Machining", "Line2", _sig("Temperature", "°C", "CEL")
    ),
    _placed("T-301", "Wash water tank T-301", "Packaging", "Line3", _sig("Level", "%", "P1")),
]


def test_description_and_place_pick_the_asset() -> None:
    res = resolve_assets("What is the temperature of the coolant pump on line 2?", PLANT)
    assert res.best is not None and res.best.asset.display_name == "P-211" and not res.ambiguous
    assert "coolant" in res.best.why
    assert resolve_assets("level of the wash water tank", PLANT).best.asset.display_name == "T-301"  # type: ignore[union-attr]
    # both coolant pumps fit when the line is not said: the resolver must not pick one
    both = resolve_assets("temperature of the coolant pump", PLANT)
    assert both.best is None or both.ambiguous


def test_spoken_digits() -> None:
    from tools.opcua.resolve import spoken_digits

    assert spoken_digits("temperature of pump one oh one?") == "temperature of pump 101?"
    assert spoken_digits("Temperatur der Pumpe eins null zwei") == "Temperatur der Pumpe 102"
    assert spoken_digits("Gibt es ein Problem, oh je?") == "Gibt es ein Problem, oh je?"
    assert _best("temperature of pump one oh one") == "P-101"
    assert _best("Temperatur der Pumpe eins null zwei") == "P-102"


def test_names_equipment_in_any_language_but_not_other_things() -> None:
    from tools.opcua.resolve import names_equipment

    assert names_equipment("Which bearing do I order for a cooling water pump?")
    assert names_equipment("Welches Öl braucht der Kompressor?")
    assert names_equipment("What is the vibration trip level of the pumps?")
    assert not names_equipment("What is the share price of Siemens today?")
    assert not names_equipment("Wie wird das Wetter morgen?")


def test_which_of_a_kind_means_all_of_that_kind() -> None:
    from tools.opcua.resolve import assets_asked_among

    assets = [_asset("P-101", "Centrifugal pump", []), _asset("P-102", "Centrifugal pump", []),
              _asset("K-1", "Compressor", [])]  # fmt: skip
    assert [a.display_name for a in assets_asked_among("Which pump is the hottest?", assets)] == ["P-101", "P-102"]
    assert len(assets_asked_among("Welche Pumpen laufen gerade?", assets)) == 2
    assert [a.display_name for a in assets_asked_among("Quel compresseur consomme le plus ?", assets)] == ["K-1"]
    assert assets_asked_among("What is the temperature of the pump?", assets) == []  # one pump, not said which
