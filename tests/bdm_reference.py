"""A plain, loop-by-loop BDM round (Scholz et al. 2011), the oracle for the vectorized model.

Written straight from bdm-deu.md §1.2-1.4 for one issue: lists of numbers, explicit loops
over actors, pairs and voters, no numpy tricks. Same options and the same tie tolerance as
``detente.models.bdm`` so that the two must agree to rounding error.
"""

from __future__ import annotations

from dataclasses import dataclass

from detente.models.base import TIE_TOLERANCE
from detente.models.bdm import TIE, Bdm


@dataclass
class Actor:
    position: float
    weight: float      # capability x salience
    salience: float


def median_voter(actors: list[Actor], how: str) -> float:
    """μ: the Condorcet winner among positions (weighted median) or the Borda winner."""
    weights = [a.weight for a in actors]
    if sum(weights) <= 0:
        weights = [1.0] * len(actors)
    if how == "borda":
        losses = [sum(w * abs(b.position - a.position) for b, w in zip(actors, weights,
                                                                      strict=True))
                  for a in actors]
        best = min(losses)
        tied = [a.position for a, loss in zip(actors, losses, strict=True)
                if loss <= best + TIE_TOLERANCE * sum(weights)]
        return 0.5 * (min(tied) + max(tied))
    order = sorted(range(len(actors)), key=lambda k: actors[k].position)
    total = sum(weights)
    cumulative = 0.0
    for rank, k in enumerate(order):
        cumulative += weights[k] / total
        if cumulative >= 0.5 - 1e-12:
            if abs(cumulative - 0.5) <= 1e-12:
                for later in order[rank + 1:]:
                    if weights[later] > 0:
                        return 0.5 * (actors[k].position + actors[later].position)
            return actors[k].position
    return actors[order[-1]].position


def powered(base: float, r: float, delta: float) -> float:
    """base ** r, a base at or below TIE/Δ (positions equal up to the tie tolerance) being 0."""
    return (0.0 if base <= TIE / delta else base) ** r


def probability(actors: list[Actor], i: int, j: int, delta: float, exponents: list[float],
                how: str, risk_adjusted: bool = False) -> float:
    """P_ij (eqs. 30-31) and the A1 variants; plain votes take no power."""
    def distance(k: int, a: int) -> float:
        return min(1.0, abs(actors[k].position - actors[a].position) / delta)

    def utility(k: int, a: int) -> float:
        return powered(distance(k, a), exponents[k], delta) if risk_adjusted else distance(k, a)

    def vote(k: int, a: int, b: int) -> float:
        """v_k(a, b) > 0 when voter k prefers actor a's position to actor b's; 0 when its
        distances to the two are equal up to the tie tolerance."""
        if abs(distance(k, b) - distance(k, a)) <= TIE / delta:
            return 0.0
        return actors[k].weight * (utility(k, b) - utility(k, a))

    n = len(actors)

    def one_position(a: int, b: int) -> bool:
        """Positions within the tie tolerance: no voter prefers either."""
        return abs(actors[a].position - actors[b].position) <= TIE

    voters = range(n)
    if how == "exclude-dyad":
        voters = [k for k in range(n) if k not in (i, j)]
    votes = [0.0 if one_position(i, j) else vote(k, i, j) for k in voters]
    support = sum(v for v in votes if v > 0)
    if how == "global":
        everything = sum(abs(vote(k, a, b)) for k in range(n) for a in range(n)
                         for b in range(n) if not one_position(a, b))
        return support / everything if everything > 0 else 0.0
    total = sum(abs(v) for v in votes)
    if total <= 0:
        return 0.5
    if how == "net":
        return max(sum(votes), 0.0) / total
    return support / total


def expected_utility(actors: list[Actor], i: int, j: int, r: float | None, p: float, q: float,
                     better: float, mu: float, delta: float) -> float:
    """EU_i(ij) with risk exponent r (eqs. 5-7, 15-25); None: 1, taking no power."""
    d = min(1.0, abs(actors[i].position - actors[j].position) / delta)
    dm = min(1.0, abs(actors[i].position - mu) / delta)

    def u(bracket: float, near_zero: bool = False) -> float:
        """The utility 2 - 4 bracket^r; only brackets that can reach 0 are snapped to it."""
        base = min(1.0, max(0.0, bracket))
        if r is None:
            return 2.0 - 4.0 * base
        return 2.0 - 4.0 * (powered(base, r, delta) if near_zero else base ** r)

    success, failure = u(0.5 - 0.5 * d, near_zero=True), u(0.5 + 0.5 * d)
    status_quo = 2.0 - 4.0 * 0.5 ** (1.0 if r is None else r)
    improve, worsen = u(0.5 - 0.25 * (dm + d), near_zero=True), u(0.5 + 0.25 * (dm + d))
    s_j = actors[j].salience
    challenge = s_j * (p * success + (1 - p) * failure) + (1 - s_j) * success
    return challenge - (q * status_quo + (1 - q) * (better * improve + (1 - better) * worsen))


def play_round(positions: list[float], initial: list[float], previous: list[float] | None,
               weights: list[float], saliences: list[float], opts: Bdm.Options
               ) -> dict[str, object]:
    """One round for one issue; returns new positions, risk exponents and the pair tables."""
    n = len(positions)
    actors = [Actor(x, w, s) for x, w, s in zip(positions, weights, saliences, strict=True)]
    mu = median_voter(actors, opts.median)
    if opts.delta == "scale":
        delta = 1.0
    else:
        basis = positions if opts.delta == "dynamic" else initial
        delta = max(basis) - min(basis)
        if delta <= TIE:  # every position the same, up to the tie tolerance
            delta = 1.0

    def better(i: int, j: int) -> float:
        gap = abs(positions[i] - positions[j])
        if opts.t_rule == "shrink" and previous is not None:
            return 1.0 if gap < abs(previous[i] - previous[j]) - TIE else 0.0
        return 1.0 if abs(positions[i] - mu) < gap - TIE else 0.0

    def tables(exponents: list[float], risk_adjusted: bool
               ) -> tuple[list[list[float]], list[list[float]]]:
        p = [[probability(actors, i, j, delta, exponents, opts.probability, risk_adjusted)
              if i != j else 0.0 for j in range(n)] for i in range(n)]
        q = [[opts.q] * n for _ in range(n)]
        if opts.q_rule == "product":
            for i in range(n):
                for j in range(n):
                    product = 1.0
                    for k in range(n):
                        if k not in (i, j):
                            product *= p[i][k] + 1.0 - actors[k].salience
                    q[i][j] = min(1.0, max(0.0, product))
        return p, q

    # Step 1: risk exponent 1 for everyone, to find each actor's security and risk.
    ones = [1.0] * n
    p1, q1 = tables(ones, False)
    eu1 = [[expected_utility(actors, i, j, None, p1[i][j], q1[i][j], better(i, j), mu, delta)
            if i != j else 0.0 for j in range(n)] for i in range(n)]
    if opts.security == "column":
        terms = [[eu1[j][i] for j in range(n) if j != i] for i in range(n)]
    else:
        terms = [[eu1[i][j] for j in range(n) if j != i] for i in range(n)]
    security = [sum(row) for row in terms]
    # Levels within the tolerance of the largest Σ|EU| (at least 1) count as equal.
    magnitude = max([1.0] + [sum(abs(eu) for eu in row) for row in terms])
    hi, lo = max(security), min(security)
    index = [(2 * sec - hi - lo) / (hi - lo) if hi - lo > TIE_TOLERANCE * magnitude else 0.0
             for sec in security]
    risk = [(1 - big_r / 3) / (1 + big_r / 3) for big_r in index]

    # Step 2: again with each actor's own risk exponent.
    p, q = tables(risk if opts.voter_risk else ones, opts.voter_risk)
    new_positions = list(positions)
    for i in range(n):
        offers = []  # (keys..., new position, proposer)
        for j in range(n):
            if j == i or abs(positions[i] - positions[j]) <= TIE:
                continue
            a = expected_utility(actors, i, j, risk[i], p[i][j], q[i][j], better(i, j), mu,
                                 delta)
            judge = risk[i] if opts.perspective == "own" else risk[j]
            b = expected_utility(actors, j, i, judge, p[j][i], q[j][i], better(j, i), mu, delta)
            xi, xj = positions[i], positions[j]
            margin = TIE_TOLERANCE * max(abs(a), abs(b), 1.0)  # EUs: utilities' scale 1
            if opts.conflict == "loser-moves" and a > margin and b > a + margin:
                kind, target = 0, xj
            elif a < -margin and b > margin and b > -a + margin:
                kind = 1
                if opts.compromise == "ratio":
                    target = xi + (xj - xi) * abs(a) / abs(b)
                else:
                    target = (abs(a) * xi + abs(b) * xj) / (abs(a) + abs(b))
            elif opts.capitulation and a < -margin and b > margin and -a > b + margin:
                kind, target = 2, xj
            else:
                continue
            move = abs(target - xi)
            if opts.offer_choice == "max-proposer-eu":
                keys = (-b, move)
            elif opts.offer_choice == "type-priority":
                keys = (kind, move)
            else:
                weighted = (abs(a) * xi + abs(b) * xj) / (abs(a) + abs(b))
                keys = (kind, weighted if kind == 1 else move)
            offers.append((*keys, move, target))
        # Lexicographic choice with the same tie tolerance as the fast model: the keys,
        # then least move.
        for level in range(3):
            if not offers:
                break
            best = min(o[level] for o in offers)
            offers = [o for o in offers
                      if o[level] <= best + TIE_TOLERANCE * max(abs(best), 1.0)]
        # Offers tied on every key, some above x_i and some below: i stays (their
        # midpoint). Else they are one position up to the tolerance: the lowest.
        if any(o[-1] > positions[i] + TIE for o in offers) and \
                any(o[-1] < positions[i] - TIE for o in offers):
            continue
        if offers:
            new_positions[i] = min(o[-1] for o in offers)
    return {"positions": new_positions, "risk": risk, "median": mu, "security": security}


def run(positions: list[float], weights: list[float], saliences: list[float],
        opts: Bdm.Options) -> tuple[list[list[float]], list[float]]:
    """All rounds with the stopping rule; returns the positions per round and the medians."""
    history = [list(positions)]
    medians = [median_voter([Actor(x, w, s) for x, w, s in
                             zip(positions, weights, saliences, strict=True)], opts.median)]
    calm = 0
    for _ in range(opts.max_rounds):
        previous = history[-2] if len(history) > 1 else None
        result = play_round(history[-1], history[0], previous, weights, saliences, opts)
        history.append(result["positions"])
        mu = median_voter([Actor(x, w, s) for x, w, s in
                           zip(history[-1], weights, saliences, strict=True)], opts.median)
        calm = calm + 1 if abs(mu - medians[-1]) < opts.stop_eps else 0
        medians.append(mu)
        if calm >= opts.stop_rounds:
            break
    return history, medians
