"""A plain, loop-by-loop reference implementation of KTAB's SMP: the oracle for detente.models.smp.

Written from ``shared/research/ktab-smp.md`` §2 (section numbers below) in the order KTAB's
``smpc`` does the work, with Python lists and scalar arithmetic only, no vectorisation. It
is slow (O(N³) Python operations per turn) and meant for tests and for the speed ratio
printed by ``benchmarks/smp.py``.

Inputs must be valid KTAB inputs: capabilities > 0, each actor's saliences summing to a
value in (0, 1], positions in [0, 1].
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from detente.models.base import TIE_TOLERANCE
from detente.models.smp import SMPOptions

MIN_COALITION = 1e-8
MIN_CHALLENGE = 1e-10
MIN_GAIN = 1e-5
MIN_WEIGHT = 1e-6
POS_TOL = 1e-3


# The options are plain data; the oracle reads the same nine KTAB parameters.
OracleOptions = SMPOptions


@dataclass
class OracleRun:
    positions: list[list[list[float]]]      # turn -> actor -> dimension
    probabilities: list[list[float]]        # turn -> actor
    risks: list[list[float]]                # turn -> actor
    stop_ratios: list[float]
    turn0: dict = field(default_factory=dict)


# ---- §2.1 ---------------------------------------------------------------------------
def distance(ideal: list[float], pos: list[float], sal: list[float]) -> float:
    num = 0.0
    den = 0.0
    for y, x, s in zip(ideal, pos, sal, strict=True):
        num += ((y - x) * s) ** 2
        den += s * s
    return math.sqrt(num / den)


def util(d: float, r: float) -> float:
    if d <= 1:
        return (1 - d) * (1 + d * r)
    return (1 - d) * (1 + r)


# ---- §2.2, §2.3 ---------------------------------------------------------------------
def vote(rule: str, w: float, u1: float, u2: float) -> float:
    du = u1 - u2
    # A Δ within the tie tolerance of 0 is 0 (smp.binary_step): utilities' scale 1.
    binary = 0.0 if abs(du) <= TIE_TOLERANCE else max(-1.0, min(1.0, du / 1e-8))
    if rule == "proportional":
        return w * du
    if rule == "binary":
        return w * binary
    if rule == "prop_bin":
        return w * (0.8 * du + 0.2 * binary)
    if rule == "prop_cubic":
        return w * (0.5 * du + 0.5 * du ** 3)
    if rule == "cubic":
        return w * du ** 3
    if rule == "asym_prospect":
        if du < 0:
            return w * du
        if du > 0:
            return 2.0 * w * du / 3.0
        return 0.0
    raise ValueError(rule)


def victory(model: str, s1: float, s2: float) -> tuple[float, float]:
    if model == "binary":
        if s1 >= 1.1 * s2:
            x1, x2 = 1.0, 1e-6
        elif s2 >= 1.1 * s1:
            x1, x2 = 1e-6, 1.0
        else:
            r = s1 / (s1 + s2)
            x1 = (r * 2.1 - 1.0) / 0.1
            x2 = 1 - x1
    else:
        n = {"linear": 1, "square": 2, "quartic": 4, "octic": 8}[model]
        x1, x2 = s1 ** n, s2 ** n
    return x1 / (x1 + x2), x2 / (x1 + x2)


def scalar_pce(weights: list[float], utils: list[list[float]], o: OracleOptions) -> list[float]:
    """utils[voter][option] -> probability of each option (§2.4)."""
    m = len(utils[0])
    c = [[MIN_COALITION] * m for _ in range(m)]
    for a in range(m):
        for b in range(a):
            for k, w in enumerate(weights):
                v = vote(o.voting_rule, w, utils[k][a], utils[k][b])
                if v > 0:
                    c[a][b] += v
                if v < 0:
                    c[b][a] -= v
    p = [[0.5] * m for _ in range(m)]
    for a in range(m):
        for b in range(a):
            p[a][b], p[b][a] = victory(o.victory_prob, c[a][b], c[b][a])
    return pce(o.pce, p, c)


def pce(model: str, p: list[list[float]], c: list[list[float]]) -> list[float]:
    m = len(p)
    if model == "conditional":
        prod = [math.prod(p[a]) for a in range(m)]
        total = sum(prod)
        return [x / total for x in prod]
    prob = [1.0 / m] * m
    if model == "markov_uniform":
        change = 1.0
        while change > 1e-6:
            q = [sum(p[a][b] * (prob[a] + prob[b]) for b in range(m)) / m for a in range(m)]
            change = max(abs(q[a] - prob[a]) for a in range(m))
            prob = [(prob[a] + q[a]) / 2 for a in range(m)]
        return prob
    incentive = [[c[a][b] * p[a][b] + (1e-10 if a == b else 0.0) for b in range(m)]
                 for a in range(m)]
    col = [sum(incentive[k][b] for k in range(m)) for b in range(m)]
    chlg = [[incentive[a][b] / col[b] for b in range(m)] for a in range(m)]
    change = 1.0
    while change > 1e-8:
        t = [[prob[a] * chlg[b][a] for b in range(m)] for a in range(m)]
        q = [sum(p[a][b] * (t[a][b] + t[b][a]) for b in range(m)) for a in range(m)]
        change = max(abs(q[a] - prob[a]) for a in range(m))
        prob = [(prob[a] + q[a]) / 2 for a in range(m)]
    return prob


# ---- §2.5 ---------------------------------------------------------------------------
def big_r(p: list[float], mode: str) -> list[float]:
    lo, hi = min(p), max(p)
    if hi - lo <= 1e-12 * hi:  # no spread beyond rounding noise: all risk neutral
        return [0.0] * len(p)
    if mode == "min":
        return [(x - lo) / (hi - lo) for x in p]
    if mode == "mid":
        return [(3 * x - (hi + 2 * lo)) / (2 * (hi - lo)) for x in p]
    return [(2 * x - (hi + lo)) / (hi - lo) for x in p]


def est_risk(rh: float, ri: float, mode: str) -> float:
    return {"none": rh, "one_third": (2.0 * rh + ri) / 3.0, "half": (rh + ri) / 2,
            "two_thirds": (rh + 2.0 * ri) / 3.0, "full": ri}[mode]


class State:
    """One state: positions, ideals, and every actor's perceived utilities (setAllAUtil)."""

    def __init__(self, cap: list[float], sal: list[list[float]], pos: list[list[float]],
                 ideal: list[list[float]], o: OracleOptions) -> None:
        n = len(cap)
        self.n, self.cap, self.sal, self.pos, self.ideal, self.o = n, cap, sal, pos, ideal, o
        self.d = [[distance(ideal[i], pos[j], sal[i]) for j in range(n)] for i in range(n)]
        neutral = [[util(self.d[i][j], 0.0) for j in range(n)] for i in range(n)]
        self.neutral = neutral
        self.neutral_prob = scalar_pce(cap, neutral, o)
        self.risk = big_r(self.neutral_prob, o.big_r_range)
        self.a_util = [[[util(self.d[i][j], est_risk(self.risk[h], self.risk[i], o.big_r_adjust))
                         for j in range(n)] for i in range(n)] for h in range(n)]

    # ---- §2.6 -----------------------------------------------------------------------
    def prob_edu_chlg(self, h: int, k: int, i: int, j: int) -> tuple[float, float]:
        o, u = self.o, self.a_util[h]
        s_i, s_j = sum(self.sal[i]), sum(self.sal[j])
        a = vote(o.voting_rule, s_i * self.cap[i], u[i][i], u[i][j])
        b = vote(o.voting_rule, s_j * self.cap[j], u[j][i], u[j][j])
        c_ij = MIN_CHALLENGE + max(a, 0.0) + max(b, 0.0)
        c_ji = MIN_CHALLENGE - min(a, 0.0) - min(b, 0.0)
        ch_ij, ch_ji = c_ij, c_ji
        for n in range(self.n):
            if n in (i, j):
                continue
            w_n = sum(self.sal[n]) * self.cap[n]
            uni, unj, unn = u[n][i], u[n][j], u[n][n]
            v = vote(o.voting_rule, w_n, uni, unj)
            p_in = (c_ij + max(v, 0.0)) / (c_ij + max(v, 0.0) + c_ji - min(v, 0.0))
            p_jn = 1.0 - p_in
            if o.third_party_commit == "semi":
                e_i = p_in * (2 * uni + unn) + p_jn * 3 * unj
                e_j = p_in * 3 * uni + p_jn * (2 * unj + unn)
            elif o.third_party_commit == "full":
                e_i = p_in * 3 * uni + p_jn * 3 * unj
                e_j = p_in * 3 * uni + p_jn * 3 * unj
            else:
                e_i = p_in * (2 * uni + unn) + p_jn * (2 * unj + unn)
                e_j = p_in * (2 * uni + unn) + p_jn * (2 * unj + unn)
            v_n = vote(o.voting_rule, w_n, e_i, e_j)
            if v_n > 0:
                ch_ij += v_n
            else:
                ch_ji -= v_n
        if o.ktab_compat or o.victory_prob == "linear":
            p_ij, p_ji = ch_ij / (ch_ij + ch_ji), ch_ji / (ch_ij + ch_ji)
        else:
            p_ij, p_ji = victory(o.victory_prob, ch_ij, ch_ji)
        eu_sq = u[k][i] + u[k][j]
        eu_win = 2 * u[k][i]
        eu_contest = p_ij * 2 * u[k][i] + p_ji * 2 * u[k][j]
        eu_chlg = (1 - s_j) * eu_win + s_j * eu_contest
        return p_ij, eu_chlg - eu_sq

    # ---- §2.7 -----------------------------------------------------------------------
    def best_challenge(self, i: int) -> tuple[int, float, float]:
        """The first j whose gain is within TIE_TOLERANCE (at the utility scale, 1) of the
        best: KTAB's strict '<' with ties up to rounding (detente.models.smp.first_of_max)."""
        options = [(j, *self.prob_edu_chlg(i, i, i, j)) for j in range(self.n) if j != i]
        options = [(j, p, gain) for j, p, gain in options if gain > MIN_GAIN]
        if not options:
            return -1, 0.0, -1.0
        top = max(gain for _, _, gain in options)
        return next(o for o in options if o[2] >= top - TIE_TOLERANCE * max(abs(top), 1.0))

    def interpolate(self, i: int, j: int, p_i: float) -> tuple[list[float], list[float]]:
        mode = self.o.bargain_interp
        p_j = 1 - p_i
        b_i, b_j = [], []
        for k in range(len(self.pos[i])):
            x_i, x_j = self.pos[i][k], self.pos[j][k]
            s_i, s_j = self.sal[i][k], self.sal[j][k]
            if mode == "s2pmax":
                di = max(p_j - p_i, 0.0)
                dj = max(p_i - p_j, 0.0)
                dik = di * s_j ** 2 / (di * s_j ** 2 + MIN_WEIGHT + (1 - di) * s_i ** 2)
                djk = dj * s_i ** 2 / (dj * s_i ** 2 + MIN_WEIGHT + (1 - dj) * s_j ** 2)
                b_i.append(x_i + dik * (x_j - x_i))
                b_j.append(x_j + djk * (x_i - x_j))
                continue
            e = 2 if mode == "s2p2" else 1
            w_i = s_i ** e * p_i ** e
            w_j = s_j ** e * p_j ** e
            den = w_i + MIN_WEIGHT + w_j
            b_i.append(math.floor(0.5 + 10000 * ((w_i + MIN_WEIGHT) * x_i + w_j * x_j) / den)
                       / 10000)
            b_j.append(math.floor(0.5 + 10000 * (w_i * x_i + (MIN_WEIGHT + w_j) * x_j) / den)
                       / 10000)
        return b_i, b_j

    # ---- §2.8 -----------------------------------------------------------------------
    def bargain_value(self, a: int, bargain: tuple[int, int, list[float], list[float]] | None
                      ) -> float:
        """Mean utility to a of all positions after the bargain (None: status quo)."""
        own = self.a_util[a][a]
        total = 0.0
        if bargain is None:
            for m in range(self.n):
                total += own[m]
            return total / self.n
        init, rcvr, p_init, p_rcvr = bargain
        origin = self.pos[a] if self.o.ktab_compat else self.ideal[a]
        total += util(distance(origin, p_init, self.sal[a]), self.risk[a])
        total += util(distance(origin, p_rcvr, self.sal[a]), self.risk[a])
        for m in range(self.n):
            if m not in (init, rcvr):
                total += own[m]
        return total / self.n

    def step(self, rnd: random.Random | None) -> list[list[float]]:
        o = self.o
        queues: list[list] = [[] for _ in range(self.n)]
        for i in range(self.n):
            queues[i].append(None)  # status quo
            j, p, _ = self.best_challenge(i)
            if j < 0:
                continue
            iij = self.interpolate(i, j, p)
            bargains = [(i, j, *iij)]
            if o.bargain_model != "init_only":
                p_j, gain_j = self.prob_edu_chlg(j, i, i, j)
                jij = self.interpolate(i, j, gain_j if o.ktab_compat else p_j)
                if o.bargain_model == "init_rcvr":
                    bargains.append((i, j, *jij))
                else:
                    w_i = self.cap[i] * sum(self.sal[i])
                    w_j = (self.cap[i] if o.ktab_compat else self.cap[j]) * sum(self.sal[j])
                    mix = [[(w_i * a + w_j * b) / (w_i + w_j) for a, b in zip(x, y, strict=True)]
                           for x, y in zip(iij, jij, strict=True)]
                    bargains = [(i, j, mix[0], mix[1])]
            for b in bargains:
                queues[i].append(b)
                queues[j].append(b)
        new_pos = []
        for k in range(self.n):
            utils = [[self.bargain_value(a, b) for b in queues[k]] for a in range(self.n)]
            p = scalar_pce(self.cap, utils, o)
            # Deterministic: the first most probable bargain, up to rounding; stochastic: a draw.
            if rnd is None:
                top = max(p)
                pick = next(m for m, p_m in enumerate(p) if p_m >= top - TIE_TOLERANCE * top)
            else:
                pick = _sample(p, rnd)
            chosen = queues[k][pick]
            if chosen is None:
                new_pos.append(list(self.pos[k]))
            else:
                new_pos.append(list(chosen[2] if chosen[0] == k else chosen[3]))
        return new_pos

    # ---- §2.9 -----------------------------------------------------------------------
    def report(self) -> list[float]:
        def close(a: int, b: int) -> bool:
            return math.dist(self.pos[a], self.pos[b]) < POS_TOL

        unique: list[int] = []
        for i in range(self.n):
            if not any(close(i, u) for u in unique):
                unique.append(i)
        utils = [[self.a_util[i][i][u] for u in unique] for i in range(self.n)]
        p = scalar_pce(self.cap, utils, self.o)
        out = []
        for i in range(self.n):
            last = max(m for m, u in enumerate(unique) if close(i, u))
            out.append(p[last])
        return out


def _sample(p: list[float], rnd: random.Random) -> int:
    x = rnd.random() * sum(p)
    acc = 0.0
    for m, q in enumerate(p):
        acc += q
        if x < acc:
            return m
    return len(p) - 1


def run(cap: list[float], pos: list[list[float]], sal: list[list[float]],
        o: OracleOptions | None = None, seed: int | None = None,
        max_turns: int | None = None) -> OracleRun:
    """Run to KTAB's stopping rule (or ``max_turns``) and record every state."""
    o = o or OracleOptions()
    limit = o.max_turns if max_turns is None else max_turns
    rnd = random.Random(seed) if o.transitions == "stochastic" else None
    pos = [list(p) for p in pos]
    state = State(cap, sal, pos, [list(p) for p in pos], o)
    result = OracleRun([pos], [state.report()], [state.risk], [])
    first = 0.0
    turn = 0
    while True:
        turn += 1
        new_pos = state.step(rnd)
        moved = sum(math.dist(a, b) for a, b in zip(new_pos, state.pos, strict=True))
        if turn == 1:
            first = moved + 1e-4
        ratio = moved / first
        result.stop_ratios.append(ratio)
        state = State(cap, sal, new_pos, [list(p) for p in new_pos], o)
        result.positions.append(new_pos)
        result.probabilities.append(state.report())
        result.risks.append(state.risk)
        if turn >= limit or (turn >= 2 and ratio < 0.02):
            return result
