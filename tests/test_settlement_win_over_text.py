"""The smallest-fix sentence of a blocked package keeps its numbers on unusual scales.

On a scale of 0 to 0.02 every threshold read 'threshold 0.0' (``.1f``); on a scale of 0 to
1e9 the current and candidate values read in ``:g``'s exponent form, rounded to six digits
(123456789 as 1.23457e+08)."""

from detente.settlement.analysis import WinOver


def _win(current: float, threshold: float, value: float | None,
         span: float | None = None) -> WinOver:
    return WinOver(actor="UP", issue="FLOW", current=current, threshold=threshold,
                   at_least=False, value=value, then_blocking=(), span=span)


def test_small_scale_threshold_keeps_its_digits() -> None:
    text = _win(0.019, 0.01612152009238115, 0.006).describe()
    assert text == "UP accepts if FLOW ≤ 0.006 (threshold 0.016, now 0.019)"


def test_small_scale_threshold_without_candidate() -> None:
    assert _win(0.019, 0.0013, None).describe() == "UP accepts if FLOW < 0.0013"


def test_huge_scale_values_are_written_whole() -> None:
    text = _win(123456789.0, 300000003.6, 301000000.0).describe()
    assert text == "UP accepts if FLOW ≤ 301000000 (threshold 300000003.6, now 123456789)"


def test_ordinary_scale_text_is_unchanged() -> None:
    # The pinned Korea texts: one decimal for the threshold, the values as written.
    assert _win(30.0, 26.4, 20.0).describe() == "UP accepts if FLOW ≤ 20 (threshold 26.4, now 30)"
    assert _win(40.0, 37.0, 30.0).describe() == "UP accepts if FLOW ≤ 30 (threshold 37.0, now 40)"


def test_offset_scale_threshold_has_no_trailing_zeros() -> None:
    # On 1000 to 1000.5 the threshold kept four fixed decimals: 'threshold 1000.1500'.
    text = _win(1000.3, 1000.15, 1000.125, span=0.5).describe()
    assert text == "UP accepts if FLOW ≤ 1000.125 (threshold 1000.15, now 1000.3)"
    assert _win(1000.3, 1000.0, None, span=0.5).describe() == "UP accepts if FLOW < 1000.0"
