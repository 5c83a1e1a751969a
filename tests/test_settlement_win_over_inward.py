"""Every number a blocker's win-over sentence writes is a value that wins it over.

The sentence rounded each end of the band to the nearest digit it shows: a band of
[1.63, 8.38] read "JP accepts if 1.6 ≤ ALL ≤ 8.4", claiming ALL = 1.6 and 8.4, neither of
which wins JP over. Each written end, read back as a number, must lie inside the true band:
at or inside an end that wins (a scanned grid value, "≤"), past one where the actor is
indifferent (the closed form's, "<": a strict written end claims only the values past it,
so it may sit on the true end itself). The written band must hold some value, and the
parenthetical threshold lies inside the band too.

Inside means up to a float's rounding noise (render.steady: 14 significant digits): a grid
value of 65.10000000000001 reads 65.1; and, for a closed-form end, up to the gain
tolerance's shift past the point where the actor is indifferent (WinOver.slack): the end
the tolerance put at 69.9999999 reads 70.0, a claim off by a gain the model counts as none.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from detente.brief import _trust_words
from detente.render import steady
from detente.settlement import SettlementProblem, UtilitySettings, analyse_packages
from detente.settlement.analysis import TRUST_GRID, TrustNeed, WinOver
from tests.settle_helpers import random_mechanisms_problems, random_problems
from tests.test_settlement_win_over_band import _packages

ISSUE = "A"
NUMBER = r"-?\d+(?:\.\d+)?"
#: The condition as describe writes it: "A ≥ x", or "x ≤ A < y"; then "(threshold t, now c)".
ONE_END = re.compile(rf"(?P<issue>\S+) (?P<sign>[<>≤≥]) (?P<end>{NUMBER})")
TWO_ENDS = re.compile(rf"(?P<low>{NUMBER}) (?P<low_sign>[<≤]) (?P<issue>\S+) "
                      rf"(?P<high_sign>[<≤]) (?P<high>{NUMBER})")
THRESHOLD = re.compile(rf" \(threshold (?P<threshold>{NUMBER}), now (?P<now>{NUMBER})\)")
#: Where package rules cut the band short: "(X alone: A ≥ x; the rest breaks the rule '…';
#: now c)", the actor's own band apart from the rules' (docs/settle.md, *Named packages*).
ALONE = re.compile(rf" \((?P<actor>\S+) alone: (?P<alone>[^;]+); the rest breaks the rules? "
                   rf".+; now (?P<now>{NUMBER})\)$")


def _assert_alone_claims_win(alone: str, way: WinOver) -> None:
    """Every end the actor's own band is written with lies in that band (``way.alone``,
    grid values that win it over: inclusive)."""
    assert way.alone is not None and way.rules, way
    low, high = way.alone
    if alone == f"any {way.issue}":
        assert low is None and high is None, way
        return
    ends = [float(e) for e in re.findall(rf"(?<![\w.]){NUMBER}", alone)]
    assert 1 <= len(ends) <= 2 and ("≤" in alone or "≥" in alone), alone
    for end in ends:
        assert (low is None or end >= steady(low)) and (high is None or end <= steady(high)), \
            (alone, way)


def _wins(x: float, way: WinOver) -> bool:
    """Whether the actor accepts ``x`` (the true band: its ends win where ``ends_win``)."""
    low = None if way.low is None else steady(way.low)
    high = None if way.high is None else steady(way.high)
    above = low is None or x > low or (x == low and way.ends_win)
    below = high is None or x < high or (x == high and way.ends_win)
    return above and below


def _within(x: float, way: WinOver) -> bool:
    """Whether ``x`` lies in the band's closure (a strict written end may sit on a true end:
    it claims only the values past it), widened for a closed-form end by the gain
    tolerance's shift of it (``slack``) past the point where the actor is indifferent: a
    digit within one shift of that point is written as it (analysis._threshold)."""
    allowance = 2 * way.slack
    return ((way.low is None or x >= steady(way.low) - allowance)
            and (way.high is None or x <= steady(way.high) + allowance))


def _assert_every_claim_wins(way: WinOver) -> None:
    text = way.describe()
    actor, _, condition = text.partition(" accepts if ")
    assert actor == way.actor, text
    alone = ALONE.search(condition)
    assert (alone is not None) == (way.alone is not None), text
    if alone is not None:
        assert alone["actor"] == way.actor, text
        _assert_alone_claims_win(alone["alone"], way)
        condition = condition[:alone.start()]
    threshold = THRESHOLD.search(condition)
    assert (threshold is not None) == (way.value is not None and alone is None), text
    condition = condition[:threshold.start()] if threshold else condition
    # (low, low inclusive, high, high inclusive) as the sentence claims them
    claim: tuple[float | None, bool, float | None, bool]
    if (two := TWO_ENDS.fullmatch(condition)) is not None:
        assert way.far_end is not None and two["issue"] == way.issue, text
        claim = (float(two["low"]), two["low_sign"] == "≤",
                 float(two["high"]), two["high_sign"] == "≤")
    else:
        one = ONE_END.fullmatch(condition)
        assert one is not None and way.far_end is None and one["issue"] == way.issue, text
        end, inclusive = float(one["end"]), one["sign"] in "≤≥"
        claim = (end, inclusive, None, False) if one["sign"] in "≥>" else \
            (None, False, end, inclusive)
    low, low_inclusive, high, high_inclusive = claim
    for end, inclusive in ((low, low_inclusive), (high, high_inclusive)):
        if end is None:
            continue
        # An inclusive end claims the value itself; a strict one the values just past it.
        assert _wins(end, way) if inclusive else _within(end, way), (text, way)
    if low is not None and high is not None:  # the written band holds some value
        assert low < high or (low == high and low_inclusive and high_inclusive), text
    if threshold is not None:
        assert _within(float(threshold["threshold"]), way), (text, way)
        assert threshold["threshold"] != threshold["now"], text


@st.composite
def bands(draw: st.DrawFn) -> WinOver:
    """A win-over band on a scale of some width, with a candidate value or none, the
    current value outside the band on the threshold's side."""
    scale_low, span = draw(st.sampled_from([(0.0, 100.0), (0.0, 20.0), (0.0, 0.02),
                                            (1000.0, 0.5), (-50.0, 100.0), (0.0, 1e9)]))
    scale_high = scale_low + span
    inside = st.floats(scale_low, scale_high, allow_nan=False)
    low, high = sorted(draw(st.lists(inside, min_size=2, max_size=2, unique=True)))
    at_least, bounded, ends_win = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    if not bounded:  # the band reaches the scale's end on the far side
        low, high = (low, scale_high) if at_least else (scale_low, high)
    threshold, far_end = (low, high) if at_least else (high, low)
    # Room for a current value outside the band, and a band wider than rounding noise.
    assume(threshold not in (scale_low, scale_high) and steady(low) < steady(high))
    current = draw(st.floats(scale_low, threshold, exclude_max=True) if at_least
                   else st.floats(threshold, scale_high, exclude_min=True))
    assume(steady(current) != steady(threshold))
    # A candidate inside the band: a grid value of the search, or an option as a person
    # writes it (up to six decimals).
    grid_value = st.integers(0, 1000).map(lambda k: scale_low + k * span / 1000)
    written = st.tuples(st.floats(low, high), st.integers(0, 6)).map(lambda vd: round(*vd))
    value = draw(st.none() | (grid_value | written).filter(
        lambda v: low <= v <= high if ends_win else low < v < high))
    return WinOver(actor="JP", issue=ISSUE, current=current, threshold=threshold,
                   at_least=at_least, value=value, then_blocking=(),
                   far_end=far_end if bounded else None, ends_win=ends_win,
                   span=draw(st.sampled_from([span, None])))


def test_the_band_from_the_report_is_written_inward() -> None:
    way = WinOver(actor="JP", issue="ALL", current=20.0, threshold=8.38, at_least=False,
                  value=None, then_blocking=(), far_end=1.63, ends_win=True, span=100.0)
    assert way.describe() == "JP accepts if 1.7 ≤ ALL ≤ 8.3"


def test_a_band_narrower_than_the_digits_shown_takes_more_digits() -> None:
    way = WinOver(actor="JP", issue="ALL", current=20.0, threshold=8.38, at_least=False,
                  value=None, then_blocking=(), far_end=8.31, ends_win=False, span=100.0)
    assert way.describe() == "JP accepts if 8.31 < ALL < 8.38"


@settings(max_examples=300, deadline=None)
@given(way=bands())
def test_every_written_end_of_a_band_wins_the_actor_over(way: WinOver) -> None:
    _assert_every_claim_wins(way)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems() | random_mechanisms_problems(),
       utility=st.sampled_from(["linear", "quadratic"]), seed=st.integers(0, 1000))
def test_every_written_end_of_a_settle_band_wins_the_actor_over(
        problem: SettlementProblem, utility: str, seed: int) -> None:
    problem = problem.replace(packages=_packages(problem, seed))
    for analysis in analyse_packages(problem, settings=UtilitySettings(utility)):
        for ways in analysis.win_over.values():
            for way in ways:
                _assert_every_claim_wins(way)
                # the brief's 'with A at x' names a value the sentence claims
                assert _wins(way.target_shown, way) or (way.value is None and not way.ends_win
                                                        and _within(way.target_shown, way)), way


@settings(max_examples=200, deadline=None)
@given(step=st.integers(0, TRUST_GRID.size - 1), current=st.floats(0, 1),
       digits=st.integers(2, 6))
def test_a_needed_trust_reads_as_a_trust_that_wins(step: int, current: float,
                                                   digits: int) -> None:
    # The trust needed is a 0.001 grid value: settle writes it to at least 3 decimals, the
    # brief to at least 2, each rounded away from the current trust (past the grid value).
    needed = float(TRUST_GRID[step])
    current = round(current, digits)
    if needed == current:
        return
    at_least = needed > current
    text = TrustNeed("JP", "KP", current, needed, at_least).describe()
    written = re.search(rf"[≤≥] ({NUMBER}) \(now ({NUMBER})\)", text)
    assert written is not None, text
    assert float(written[1]) == steady(needed) and written[1] != written[2], text
    start, shown = re.findall(NUMBER, _trust_words("KP", [("JP", current, needed)]))[-2:]
    assert (float(shown) >= steady(needed)) if at_least else (float(shown) <= steady(needed)), \
        (shown, needed)
    assert start != shown


def test_the_brief_says_fell_where_less_trust_wins() -> None:
    words = _trust_words("US", [("Japan", 0.9, 0.074)])
    assert words == "Japan if its trust in US fell from 0.90 to 0.07"
    assert _trust_words("US", [("Japan", 0.9, 0.076)]).endswith("0.90 to 0.07")
    assert _trust_words("KP", [("Japan", 0.02, 0.474)]).endswith("rose from 0.02 to 0.48")
    assert "moved (A 0.10 → 0.48, B 0.90 → 0.07)" in _trust_words(
        "KP", [("A", 0.1, 0.474), ("B", 0.9, 0.076)])
