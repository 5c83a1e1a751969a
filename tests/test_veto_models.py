"""The veto-aware models (constrained, procedural), by hand and by property; the status-quo
property of models in validation; DEU's veto flags."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.arrays import Arrays
from detente.models import REGISTRY, get_model
from detente.models.constrained import _slack, dual_nearest
from detente.scenario import scenario_from_mapping
from detente.validate import Case, validate
from tests.shared_data import needs_shared, shared_path
from tests.strategies import arrays_strategy

BLKSV = shared_path("deu", "deu3_blksv.csv")


def _arrays(positions: list[list[float]], caps: list[float], saliences: list[list[float]],
            status_quo: list[float], veto: list[bool], ids: list[str] | None = None) -> Arrays:
    pos = np.array(positions, dtype=float)
    n_actors, n_issues = pos.shape
    ids = ids or [f"A{k}" for k in range(n_actors)]
    return Arrays(actor_ids=tuple(ids), issue_ids=tuple(f"I{k}" for k in range(n_issues)),
                  guarantor_ids=tuple(ids), capability=np.array(caps, dtype=float),
                  position=pos, salience=np.array(saliences, dtype=float),
                  status_quo=np.array(status_quo, dtype=float),
                  trust=np.ones((n_actors, n_actors)),
                  stake=np.ones((n_actors, n_issues), dtype=bool),
                  veto=np.array(veto, dtype=bool), scale_low=np.zeros(n_issues),
                  scale_high=np.ones(n_issues))


def _run(name: str, arrays: Arrays, **options: object) -> np.ndarray:
    return get_model(name, **options).run(arrays).forecast


def test_models_declare_whether_they_need_a_status_quo() -> None:
    needs = {n for n, info in REGISTRY.items() if info.model.needs_status_quo}
    assert needs == {"nash", "constrained", "procedural"}
    vetoes = {n for n, info in REGISTRY.items() if info.model.respects_vetoes}
    assert vetoes == {"nash", "constrained", "procedural"}


def test_constrained_single_issue_by_hand() -> None:
    # A (veto) at 0.5, B (no veto) at 1.0 with 9x the capability, q = 0.2: the compromise
    # is 0.95; A accepts only points within 0.3 of its position, [0.2, 0.8].
    arrays = _arrays([[0.5], [1.0]], [1, 9], [[1], [1]], [0.2], [True, False])
    assert _run("compromise", arrays)[0] == pytest.approx(0.95)
    assert _run("constrained", arrays)[0] == pytest.approx(0.8)
    # B too holds a veto: B accepts [0.2, 1]; the intersection is still [0.2, 0.8].
    assert _run("constrained", arrays.replace(veto=np.array([True, True])))[0] == \
        pytest.approx(0.8)
    # Veto players on both sides of q: only q itself is acceptable.
    sides = arrays.replace(status_quo=np.array([0.7]), veto=np.array([True, True]))
    assert _run("constrained", sides)[0] == pytest.approx(0.7)
    # Nobody holds a veto: the compromise.
    none = arrays.replace(veto=np.array([False, False]))
    assert _run("constrained", none)[0] == pytest.approx(0.95)


def test_constrained_trades_across_issues_where_single_issues_are_blocked() -> None:
    # A cares about issue 0, B about issue 1; each issue alone has a loser (q is all that
    # passes issue by issue), but a package moving both toward the one who cares is
    # accepted by both: the joint win-set is larger than the product of the single ones.
    arrays = _arrays([[1.0, 0.0], [0.0, 1.0]], [1, 3], [[1.0, 0.2], [0.2, 1.0]], [0.5, 0.5],
                     [True, True])
    joint = _run("constrained", arrays)
    for k in range(2):
        alone = _arrays([[arrays.position[0, k]], [arrays.position[1, k]]], [1, 3],
                        [[arrays.salience[0, k]], [arrays.salience[1, k]]], [0.5],
                        [True, True])
        assert _run("constrained", alone)[0] == pytest.approx(0.5)
    assert np.any(np.abs(joint - 0.5) > 0.05)
    _assert_accepted(arrays, joint)


def _assert_accepted(arrays: Arrays, x: np.ndarray) -> None:
    """Every veto player with weight weakly prefers x to the status quo (quadratic loss)."""
    veto = arrays.veto[:, None] & (arrays.weight > 0)
    sal = np.where(veto, arrays.salience, 0.0)
    at_q = np.sum(sal * (arrays.status_quo - arrays.position) ** 2, axis=-1)
    at_x = np.sum(sal * (x - arrays.position) ** 2, axis=-1)
    assert np.all(at_x <= at_q + 1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays=arrays_strategy(max_actors=4, max_issues=2),
       veto=st.lists(st.booleans(), min_size=4, max_size=4))
def test_constrained_is_the_nearest_accepted_point(arrays: Arrays, veto: list[bool]) -> None:
    arrays = arrays.replace(veto=np.array(veto[: arrays.n_actors]))
    x = _run("constrained", arrays)
    _assert_accepted(arrays, x)
    base = _run("compromise", arrays)
    w = np.sum(arrays.weight, axis=0)
    w = w / w.sum()
    # A brute-force grid over the scale: no accepted grid point is nearer the compromise.
    axes = np.meshgrid(*[np.linspace(0, 1, 101)] * arrays.n_issues, indexing="ij")
    grid = np.stack([a.ravel() for a in axes], axis=-1)  # [N, I]
    veto_w = arrays.veto[:, None] & (arrays.weight > 0)
    sal = np.where(veto_w, arrays.salience, 0.0)
    at_q = np.sum(sal * (arrays.status_quo - arrays.position) ** 2, axis=-1)
    at_grid = np.einsum("ai,nai->na", sal, (grid[:, None, :] - arrays.position) ** 2)
    ok = np.all(at_grid <= at_q + 1e-12, axis=1)
    best = np.min(np.sum(w * (grid[ok] - base) ** 2, axis=1))
    assert np.sum(w * (x - base) ** 2) <= best + 1e-6


def _mirrored(low: float, width: float, at: float, reach: list[float],
              saliences: list[float], third: list[float], third_veto: bool) -> Arrays:
    """Veto players A (capability 10) and B (11) mirror images of each other about the
    status quo on every issue, with the same saliences: their ellipsoids touch at q, so the
    win-set is q alone. C (capability 20, salience 0.5) pulls the compromise off q."""
    issues = range(len(reach))
    q = low + at * width
    room = min(q - low, low + width - q)
    stance = {k: [q - r * room, q + r * room] for k, r in zip(issues, reach, strict=True)}
    return scenario_from_mapping({
        "id": "m", "title": "m",
        "issues": [{"id": f"I{k}", "name": f"I{k}", "scale": {"low": low, "high": low + width},
                    "status_quo": q} for k in issues],
        "actors": [{"id": "A", "name": "A", "capability": 10},
                   {"id": "B", "name": "B", "capability": 11},
                   {"id": "C", "name": "C", "capability": 20, "veto": third_veto}],
        "stances": {
            side: {f"I{k}": {"position": stance[k][n], "salience": saliences[k]}
                   for k in issues} for n, side in enumerate("AB")}
        | {"C": {f"I{k}": {"position": low + third[k] * width, "salience": 0.5}
                 for k in issues}},
    }).compile()


@settings(max_examples=60, deadline=None)
@given(scale=st.sampled_from([(0.0, 1e-5), (-3.7, 1e-5), (1e6, 1e-3), (0.0, 1.0),
                              (-50.0, 100.0), (0.0, 1e6), (-1e6, 2e6), (1e9, 1e9)]),
       at=st.floats(0.2, 0.8), n_issues=st.integers(1, 3), data=st.data(),
       third_veto=st.booleans())
def test_constrained_keeps_q_exactly_where_the_win_set_is_q_alone(
        scale: tuple[float, float], at: float, n_issues: int, data: st.DataObject,
        third_veto: bool) -> None:
    # Before: SLSQP stopped where its tolerance still accepted, -0.13 for a status quo of 0
    # on a scale of ±10⁶ (499999.9 for 500000 on 0-10⁶); docs/models.md: "Where the
    # win-set is q alone the forecast is q".
    def unit_list(lowest: float) -> list[float]:
        return data.draw(st.lists(st.floats(lowest, 1.0), min_size=n_issues,
                                  max_size=n_issues))

    arrays = _mirrored(*scale, at, unit_list(0.1), unit_list(0.05), unit_list(0.0),
                       third_veto)
    forecast = _run("constrained", arrays)
    assert forecast.tolist() == arrays.status_quo.tolist()


def test_dual_solver_by_hand_projects_onto_a_disk() -> None:
    # One veto player at the origin, equal salience, status quo (0.3, 0.4): its win-set is
    # the disk of radius 0.5 round the origin. Equal issue weights make the nearest point to
    # (0.9, 0) the radial projection (0.5, 0); to (0.6, 0.8), distance 1, it is (0.3, 0.4).
    pos, sal, q, w = np.zeros((1, 2)), np.ones((1, 2)), np.array([0.3, 0.4]), np.full(2, 0.5)
    for base, nearest in (([0.9, 0.0], [0.5, 0.0]), ([0.6, 0.8], [0.3, 0.4])):
        x = dual_nearest(np.array(base), pos, sal, w, q)
        assert x is not None
        np.testing.assert_allclose(x, nearest, atol=1e-12)


def _slsqp(base: np.ndarray, pos: np.ndarray, sal: np.ndarray, w: np.ndarray,
           q: np.ndarray) -> np.ndarray:
    """The primal solved by SLSQP, as the model did before the dual (the oracle here)."""
    from scipy.optimize import minimize

    result = minimize(lambda x: float(np.sum(w * (x - base) ** 2)), q.copy(),
                      jac=lambda x: 2.0 * w * (x - base), method="SLSQP",
                      bounds=[(0.0, 1.0)] * base.size,
                      constraints=[{"type": "ineq", "fun": lambda x: _slack(x, pos, sal, q),
                                    "jac": lambda x: -2.0 * sal * (x - pos)}],
                      options={"maxiter": 200, "ftol": 1e-14})
    return np.clip(result.x, 0.0, 1.0)


def test_dual_solver_matches_slsqp_and_certifies_nearly_every_case() -> None:
    rng = np.random.default_rng(1)
    certified = tried = 0
    for _ in range(60):
        n_issues, n_veto = int(rng.integers(2, 6)), int(rng.integers(1, 7))
        pos, q, base = rng.random((n_veto, n_issues)), rng.random(n_issues), rng.random(n_issues)
        sal = rng.random((n_veto, n_issues)) * (rng.random((n_veto, n_issues)) < 0.8)
        w = rng.random(n_issues) + 0.05
        w /= w.sum()
        if np.all(_slack(base, pos, sal, q) >= 0):
            continue  # the compromise is accepted: nothing to solve
        tried += 1
        x = dual_nearest(base, pos, sal, w, q)
        if x is None:
            continue
        certified += 1
        assert np.all(_slack(x, pos, sal, q) >= -1e-15)  # inside the win-set
        oracle = _slsqp(base, pos, sal, w, q)
        # SLSQP may end a hair outside (its tolerance) and so a hair nearer the compromise.
        assert np.sum(w * (x - base) ** 2) <= np.sum(w * (oracle - base) ** 2) + 1e-10
        np.testing.assert_allclose(x, oracle, atol=1e-6)
    assert tried > 40 and certified >= 0.9 * tried, (certified, tried)


def test_the_win_set_without_interior_falls_back_to_the_primal() -> None:
    # Two veto players on either side of q on both issues: the win-set is q alone, the
    # multipliers grow without bound, no certificate; the model still returns q.
    pos = np.array([[0.2, 0.2], [0.8, 0.8]])
    arrays = _arrays(pos.tolist(), [1, 1], [[1, 1], [1, 1]], [0.5, 0.5], [True, True])
    assert dual_nearest(np.array([0.9, 0.1]), pos, np.ones((2, 2)), np.full(2, 0.5),
                        np.array([0.5, 0.5])) is None
    np.testing.assert_allclose(_run("constrained", arrays.replace(
        capability=np.array([1.0, 3.0]))), [0.5, 0.5], atol=1e-6)


def test_procedural_by_hand() -> None:
    # Setter COM at 1.0; three states (one vote each) at 0.2, 0.6, 0.8; q = 0.4.
    # Reflections 2p − q: 0.0, 0.8, 1.2. Quota 0.71 needs all three: nothing right of q
    # passes (the state at 0.2 prefers q). Quota 0.6 needs two: up to 0.8.
    ids = ["COM", "S1", "S2", "S3"]
    arrays = _arrays([[1.0], [0.2], [0.6], [0.8]], [1, 1, 1, 1], [[1]] * 4, [0.4],
                     [False, False, False, False], ids)
    assert _run("procedural", arrays)[0] == pytest.approx(0.4)
    assert _run("procedural", arrays, quota=0.6)[0] == pytest.approx(0.8)
    # The Parliament as a veto player at 0.5 accepts only [0.4, 0.6].
    with_ep = _arrays([[1.0], [0.2], [0.6], [0.8], [0.5]], [1, 1, 1, 1, 1], [[1]] * 5, [0.4],
                      [False, False, False, False, True], [*ids, "EP"])
    assert _run("procedural", with_ep, quota=0.6)[0] == pytest.approx(0.6)
    # The setter proposes its own point when the rule lets it: a setter at 0.7.
    near = arrays.replace(position=np.array([[0.7], [0.2], [0.6], [0.8]]))
    assert _run("procedural", near, quota=0.6)[0] == pytest.approx(0.7)
    # Unanimity (every state a veto player) blocks the move the quota allowed.
    unanimity = arrays.replace(veto=np.array([False, True, True, True]))
    assert _run("procedural", unanimity, quota=0.6)[0] == pytest.approx(0.4)


def test_procedural_without_a_setter_clips_the_compromise() -> None:
    arrays = _arrays([[0.0], [1.0], [0.9]], [1, 1, 1], [[1]] * 3, [0.5], [False] * 3)
    # Voters' reflections: -0.5, 1.5, 1.3; quota 0.6 of 3 votes → two: [−0.5 .. 1.3] ∩ [0,1].
    assert _run("procedural", arrays, quota=0.6)[0] == pytest.approx(_run("compromise",
                                                                           arrays)[0])
    assert _run("procedural", arrays, quota=0.9)[0] == pytest.approx(0.5)


def _one(sid: str, status_quo: float, outcome: float) -> dict:
    return {"id": sid, "title": sid,
            "issues": [{"id": "X", "name": "x", "status_quo": status_quo}],
            "actors": [{"id": "A", "name": "A", "capability": 1},
                       {"id": "B", "name": "B", "capability": 1}],
            "stances": {"A": {"X": {"position": 20, "salience": 1}},
                        "B": {"X": {"position": 90, "salience": 1}}},
            "outcomes": {"X": outcome}}


def test_validate_scores_status_quo_models_only_where_the_status_quo_is_known() -> None:
    cases = [Case(scenario_from_mapping(_one("s1", 50, 55)), "p1"),
             Case(scenario_from_mapping(_one("s2", 50, 40)), "p2", status_quo_known=False)]
    result = validate(cases, models=["compromise", "nash"], n_boot=0)
    # nash on s1: A and B on both sides of q = 50: q stays.
    assert result.predictions["nash"][0] == pytest.approx(50)
    assert np.isnan(result.predictions["nash"][1])
    assert result.unmasked["nash"][1] == pytest.approx(50)
    assert result.predictions["compromise"][1] == pytest.approx(55)
    scores = {s.predictor: s for s in result.scores()}
    assert scores["nash"].n_issues == 1 and scores["compromise"].n_issues == 2
    ref = {name: (known, every) for name, known, every in result.reference_scores()}
    assert ref["nash"][0].value["mae"] == pytest.approx(5)
    assert ref["nash"][1].value["mae"] == pytest.approx(7.5)  # (5 + 10) / 2
    assert ref["compromise"][0].n_issues == 1 and ref["compromise"][1].n_issues == 2
    assert result.compare("nash").n_issues == 1


@needs_shared(BLKSV)
def test_deu_veto_flags_follow_procedure_and_rule() -> None:
    from detente.datasets.deu import read_deu

    dataset = read_deu(BLKSV)
    built = dataset.scenarios("equal")
    seen = set()
    for b in built:
        actors = {a.id: a.veto for a in b.scenario.actors}  # type: ignore[attr-defined]
        states = [v for k, v in actors.items() if k not in ("COM", "EP")]
        assert actors.get("COM", False) is False
        if "EP" in actors:
            assert actors["EP"] == (b.issue.procedure == "COD")
        assert all(v == (b.issue.council_rule == "unanimity") for v in states)
        seen.add((b.issue.procedure, b.issue.council_rule))
    assert {("COD", "QMV"), ("CNS", "unanimity")} <= seen
