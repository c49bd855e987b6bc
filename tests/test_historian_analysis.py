"""The historian's numeric core on hand-made series: state codes and time in state, threshold runs."""

from __future__ import annotations

import numpy as np
import pytest

from tools.historian import analysis
from tools.historian.queries import _state_codes
from tools.historian.store import HistorianError


def test_state_codes_mix_texts_values_and_gaps() -> None:
    values = np.array([1.0, np.nan, 2.0, np.nan, 1.0, np.nan])
    texts = [None, "manual", None, None, None, "1"]
    codes, names = _state_codes(values, texts, boolean=False, key="M-1/Mode")
    assert [names[c] for c in codes] == ["1", "manual", "2", "?", "1", "1"]  # the text "1" is the state 1
    assert len(names) == 4


def test_state_codes_booleans_and_refusals() -> None:
    codes, names = _state_codes(np.array([0.0, 1.0, 1.0]), [None] * 3, boolean=True, key="P-1/Running")
    assert [names[c] for c in codes] == ["false", "true", "true"]
    with pytest.raises(HistorianError, match="P-1/Flow is a measured value, not a state"):
        _state_codes(np.array([1.0, 1.5]), [None, None], boolean=False, key="P-1/Flow")
    with pytest.raises(HistorianError, match="takes more than 50 values"):
        _state_codes(np.arange(60, dtype=float), [None] * 60, boolean=False, key="C-1/Count")


def test_state_durations_count_entries_and_the_unknown_start() -> None:
    ts = np.array([100, 400, 500, 900])
    codes = np.array([0, 1, 1, 0])  # a, b, b, a
    ms, entered, unknown, transitions = analysis.state_durations(ts, codes, 3, 0, 1000, None)
    assert ms.tolist() == [300 + 100, 500, 0] and entered.tolist() == [2, 1, 0]
    assert unknown == 100 and transitions == 2  # nothing known before t=100: no transition into the first state
    ms, entered, unknown, transitions = analysis.state_durations(ts, codes, 3, 0, 1000, 2)
    assert ms.tolist() == [400, 500, 100] and entered.tolist() == [2, 1, 1]
    assert unknown == 0 and transitions == 3
    ms, entered, unknown, transitions = analysis.state_durations(ts[:0], codes[:0], 3, 0, 1000, 1)
    assert ms.tolist() == [0, 1000, 0] and entered.tolist() == [0, 1, 0] and transitions == 0


def test_runs_carry_the_state_into_the_window() -> None:
    ts = np.array([10, 20, 30, 40, 50])
    values = np.array([5.0, 1.0, 7.0, 9.0, 2.0])
    runs = analysis.runs(ts, values > 4, values, 0, 60, flag_before=True)
    assert [(r.start, r.end, r.peak, r.samples) for r in runs] == [(0, 20, 5.0, 1), (30, 50, 9.0, 2)]
