"""The interface every forecasting model implements, and the result it returns.

A model is a small class holding its options; :meth:`Model.run` is a pure function of the
arrays (and a seed for stochastic models). Models work on the unit scale; the caller maps
results back to issue units. Every array may carry a leading batch axis.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from detente.arrays import Arrays
from detente.errors import (
    Problem,
    ScenarioError,
    model_option_text,
    non_finite_text,
    option_error,
    option_text,
    shorten,
    unknown_ids,
)
from detente.view import Table

RngLike = np.random.Generator | int | None

#: Ties, in bdm and smp alike: values within this fraction of the magnitude they carry their
#: rounding at count as equal (each model names the magnitude of each comparison). Values
#: equal in exact arithmetic (actors sharing a position, capability and salience: common in
#: real data) come out of sums taken in different orders a few ulps apart, and which is
#: larger then depends on rounding alone (memory layout, the inputs' scale). On DEU III the
#: gaps between such values were below 1.2e-13 relative (about 500 ulps) and the next-smallest
#: gap 1.1e-10, so 1e-12 lies well above rounding noise and far below any difference a model
#: acts on (docs/bdm.md and docs/smp.md, Ties).
TIE_TOLERANCE = 1e-12


def make_rng(rng: RngLike) -> tuple[np.random.Generator, int | None]:
    """One explicit source of randomness: a Generator, a seed, or None (fresh entropy).

    Returns the generator and the seed to echo into results (None when a Generator was given).
    """
    if isinstance(rng, np.random.Generator):
        return rng, None
    if rng is None:
        seed = spawn_seed(None)
        return np.random.default_rng(seed), seed
    return np.random.default_rng(int(rng)), int(rng)


def spawn_seed(rng: RngLike) -> int:
    """The integer seed a run uses and echoes, for a Generator (an integer drawn from it, so
    that the echoed seed repeats the run), a seed, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    if rng is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    seed = int(rng)
    if seed < 0:
        raise ValueError("seed must be 0 or more")
    return seed


#: First word of every model stream's spawn key, reserved as the sampling engine reserves
#: 2**32 - 1 and 2**32 - 2: no block or spawned child of the same seed can share it.
MODEL_STREAM = 2**32 - 3


def model_seed(parent: np.random.SeedSequence | int, model: str) -> np.random.SeedSequence:
    """The seed of model ``model``'s random stream in a run seeded by ``parent`` (the run's
    seed, or the seed sequence of a sampling block).

    It depends on ``parent`` and the model's name alone, so a stochastic model draws the
    same numbers whichever models run beside it, in whatever order: one spawned child per
    model in list order tied each model's draws to its place in the list. The name enters
    the spawn key as its UTF-8 bytes, the same in every process and Python version (unlike
    ``hash()``, which is salted per process).
    """
    root = parent if isinstance(parent, np.random.SeedSequence) else np.random.SeedSequence(parent)
    return np.random.SeedSequence(root.entropy, pool_size=root.pool_size, spawn_key=(
        *root.spawn_key, MODEL_STREAM, *model.encode()))


def model_stream(parent: np.random.Generator | np.random.SeedSequence | int, model: str
                 ) -> np.random.Generator:
    """A generator on :func:`model_seed`: what every run hands a model. A Generator parent
    stands for the seed sequence it was made from, not its state (the sampling engine makes
    a fresh one per block, so the stream is fixed by the block)."""
    if isinstance(parent, np.random.Generator):
        origin = parent.bit_generator.seed_seq
        if not isinstance(origin, np.random.SeedSequence):
            raise TypeError("a model stream needs a generator made from a seed or a "
                            "SeedSequence (np.random.default_rng(seed)), not from a state")
        parent = origin
    return np.random.default_rng(model_seed(parent, model))


@dataclass(frozen=True)
class ModelResult:
    """What a model returns, on the unit scale.

    ``forecast``: ``[B,] I``. ``trajectory`` (models that move step by step): ``[B,] R+1, A, I``
    positions of every actor, round 0 being the input; an issue that stopped early repeats
    its last state, and ``rounds`` (``[B,] I``) says how many rounds each issue ran.
    ``details`` holds model-specific extras (probabilities, stop reasons, ...); a stepwise
    model puts the forecast after each round there as ``forecast_path`` (``[B,] R+1, I``).
    """

    model: str
    options: dict[str, Any]
    forecast: np.ndarray
    trajectory: np.ndarray | None = None
    rounds: np.ndarray | None = None
    details: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None


@dataclass(frozen=True)
class MemoryEstimate:
    """What a run of a model on a batch needs, in bytes, estimated before it starts.

    ``working``: the peak while it runs (its arrays and the result). ``outputs_per_row``:
    the forecast and the batched ``details`` of one batch row, which a Monte Carlo run keeps
    for every sample. Both are upper bounds for the models we have (a test checks them
    against measured peaks); the forecast path and the sampling engine refuse past
    :func:`detente.resources.memory_limit` with the estimate.
    """

    working: int
    outputs_per_row: int


#: One table of a model's explanation of a round (rendered by `detente explain`): the
#: presentation-neutral :class:`detente.view.Table` every analysis uses (title, columns,
#: rows of plain strings, numbers or booleans, notes).
ExplainTable = Table


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _parse_as(kind: Any, text: str, where: str) -> Any:
    """``text`` as a value of type ``kind`` (str, bool, int, float, Literal, X | None)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is str:
        return text
    if kind is bool:
        word = text.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise option_error(where, f"'{text}' is not true or false", "write true or false")
    if kind is int:
        try:
            return int(text.strip())
        except ValueError:
            raise option_error(where, f"'{text}' is not a whole number",
                               "write a whole number, e.g. 20") from None
    if kind is float:
        try:
            value = float(text.strip())
        except ValueError:
            raise option_error(where, f"'{text}' is not a number",
                               "write a number, e.g. 0.5") from None
        if not math.isfinite(value):
            raise option_error(where, non_finite_text(text), "write a finite number, e.g. 0.5")
        return value
    if origin is Literal:
        for choice in args:
            if str(choice) == text.strip():
                return choice
        raise option_error(where, f"'{text}' is not one of {', '.join(map(str, args))}",
                           f"write one of {', '.join(map(str, args))}")
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and text.strip().lower() in ("none", "null", "~"):
            return None
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _parse_as(rest[0], text, where)
    from detente.safeload import parse_yaml

    # The scenario loader's guard, so that a value is read by the rules a file is: a key
    # written twice is refused (YAML alone keeps the second silently), aliases and depth
    # are bounded.
    try:
        return parse_yaml(text, where)[0]
    except ScenarioError as err:
        problem = err.problems[0]
        raise option_error(where, f"'{shorten(text)}' cannot be read: {problem.message}",
                           problem.fix) from None


class CountOutOfRange(ValueError):
    """A count option of a model (iterations, rounds, turns) outside its range; the model
    names the option in its refusal (``-O nash.iterations``) and the range in its fix."""

    def __init__(self, option: str, value: int, low: int, high: int, why: str) -> None:
        super().__init__(f"{option.replace('_', ' ')} must be a whole number from {low:,} to "
                         f"{high:,}, got {value:,}")
        self.option, self.low, self.high, self.why = option, low, high, why


def require_choices(options: object, choices: dict[str, tuple[str, ...]]) -> None:
    """Refuse (in an ``Options.__post_init__``) an option of ``choices`` (name -> allowed
    values) set to a value it does not allow."""
    for name, allowed in choices.items():
        value = getattr(options, name)
        if value not in allowed:
            raise ValueError(f"option {name}={value!r}: choose one of {', '.join(allowed)}")


def require_count(option: str, value: int, low: int, high: int, why: str) -> None:
    """Refuse (in an ``Options.__post_init__``) a count outside ``[low, high]``; ``why``
    says what makes ``high`` a sensible maximum. A count caps run time and memory, so
    every count option of a model has an upper bound as well as a lower one."""
    if not low <= value <= high:
        raise CountOutOfRange(option, value, low, high, why)


class AboveItsCap(ValueError):
    """A count that takes effect only within a run capped by another option (smp's
    ``min_turns`` within ``max_turns``) set above that cap: it would change nothing. The
    model names the option in its refusal and both ways out in its fix."""

    def __init__(self, option: str, value: int, cap_option: str, cap: int) -> None:
        super().__init__(f"{option.replace('_', ' ')} ({value:,}) is more than "
                         f"{cap_option.replace('_', ' ')} ({cap:,}): no run goes past "
                         f"{cap_option}, so it would never take effect")
        self.option, self.value, self.cap_option, self.cap = option, value, cap_option, cap


def require_within_cap(option: str, value: int, default: int, cap_option: str,
                       cap: int) -> None:
    """Refuse (in an ``Options.__post_init__``) a count set above the cap of the run it
    applies in (``min_turns`` above ``max_turns``; bdm's ``stop_rounds`` above
    ``max_rounds``). The default is let through: a short cap set alone (``max_turns=1``)
    ends the run before the default applies, which the forecast's note names, and a model
    rebuilt from its own options (``options_dict``) must build again."""
    if value != default and value > cap:
        raise AboveItsCap(option, value, cap_option, cap)


class Model(ABC):
    """Base class: options as a frozen dataclass ``Options``; ``run`` does the work."""

    name: ClassVar[str]
    #: Whether the forecast depends on the status quo (the reference point). Validation
    #: scores such a model only on issues whose status quo is known, never on a placeholder.
    needs_status_quo: ClassVar[bool] = False
    #: Whether the model lets veto players (actors with ``veto: true``) block moves they do
    #: not prefer to the status quo; the forecast table marks the models that do not.
    respects_vetoes: ClassVar[bool] = False
    #: The working set (bytes, by :meth:`sample_estimate`) a Monte Carlo chunk of this model
    #: may grow to; 0: the engine's general chunk size. A model whose batch pays a fixed cost
    #: per call (smp: the tail of its longest runs) sets it, since the chunk size changes no
    #: number (docs/uncertainty.md).
    sample_chunk_bytes: ClassVar[int] = 0
    #: The options whose values name actors by id (procedural's setter, anchored's
    #: anchors): a batch of such a model must share its actors' ids, and an id the user
    #: gives must be the scenario's (:meth:`unknown_actors`). A default the scenario lacks
    #: (COM on a scenario without EU actors) leaves the model to its documented fallback.
    actor_options: ClassVar[tuple[str, ...]] = ()
    #: Whether the model reads the written position of a stance of salience 0. Salience 0 is
    #: no stake, the same scenario as no stance (docs/scenario-format.md), and every model
    #: but those that set this reads it so; bdm counts a salience-0 actor in the contest
    #: (docs/bdm.md) and anchored pulls toward an anchor's position whatever its salience
    #: (tests/test_zero_salience_stance.py says why neither is changed).
    reads_idle_stances: ClassVar[bool] = False

    @dataclass(frozen=True)
    class Options:
        pass

    def __init__(self, **options: Any) -> None:
        known = {f.name for f in dataclasses.fields(self.Options)}
        unknown = sorted(set(options) - known)
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise option_error(f"{self.name}.{unknown[0]}",
                               f"unknown option '{unknown[0]}' for model '{self.name}'",
                               f"options of {self.name}: {allowed}")
        try:
            self.options = self.Options(**options)
        except CountOutOfRange as err:
            raise option_error(f"{self.name}.{err.option}", str(err),
                               f"give {model_option_text(self.name, f'{err.option}=N')} with "
                               f"N from {err.low:,} to {err.high:,} ({err.why})") from None
        except AboveItsCap as err:
            given = model_option_text(self.name, f"{err.option}=N")
            lower = f"give {given} with N at most {err.cap:,}" if err.cap >= 1 \
                else f"leave out {model_option_text(self.name, err.option)}"
            raise option_error(f"{self.name}.{err.option}", str(err),
                               f"{lower}, or raise "
                               f"{model_option_text(self.name, err.cap_option)} to at least "
                               f"{err.value:,}") from None
        except (TypeError, ValueError) as err:
            raise option_error(self.name, str(err),
                               "see `detente models` for the options") from None
        # The one finiteness rule (as for scenario numbers): NaN compares false with every
        # bound, so a range check in __post_init__ alone would let it through.
        for f in dataclasses.fields(self.Options):
            value = getattr(self.options, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise option_error(f"{self.name}.{f.name}", f"{value} is not a finite number",
                                   "give a finite number; see `detente models` for defaults")

    def unknown_actors(self, given: Iterable[str], actor_ids: Sequence[str]) -> list[Problem]:
        """The actor ids that the ``given`` options (the ones the user set, not the
        defaults) name and ``actor_ids`` lacks, each refused at ``MODEL.OPTION`` with a
        "did you mean": read as absent, the model would fall back without a word."""
        problems = []
        for option in self.actor_options:
            if option not in given:
                continue
            value = getattr(self.options, option)
            # An id, or (id, weight) pairs as Options normalises anchors.
            named = [value] if isinstance(value, str) else [pair[0] for pair in value]
            problems += unknown_ids(f"{self.name}.{option}", "actor", named, actor_ids)
        return problems

    @classmethod
    def parse_option(cls, name: str, text: str) -> Any:
        """Read an option value typed as text (``-O smp.third_party_commit=no``) by its type.

        The text is read against the option's declared type, never as YAML: in YAML 1.1
        ``no``, ``off`` and ``y`` are booleans, so a documented choice such as
        ``third_party_commit=no`` would arrive as ``False``. Structured options (tuples)
        are read as YAML flow text, e.g. ``[[KP, 0.5]]``.
        """
        hints = typing.get_type_hints(cls.Options)
        if name not in hints:
            return text  # unknown: __init__ names it with the known options
        return _parse_as(hints[name], text, f"{cls.name}.{name}")

    def options_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self.options)

    @abstractmethod
    def run(self, arrays: Arrays, rng: RngLike = None) -> ModelResult:
        """Forecast every issue of ``arrays`` (unit scale, optional leading batch axis)."""

    def sample(self, arrays: Arrays, rng: RngLike = None, per_turn: bool = False
               ) -> ModelResult:
        """``run`` for the sampling engine, which keeps the forecast and the batched
        ``details`` only: a model may leave out the rest (the trajectory), never change a
        number. ``per_turn``: keep the details a stepwise model gives for every turn (bdm
        and smp leave them out otherwise); a model that keeps all its details ignores it."""
        return self.run(arrays, rng)

    def sample_estimate(self, n_actors: int, n_issues: int, batch: int = 1,
                        per_turn: bool = False) -> MemoryEstimate:
        """:meth:`estimate` for :meth:`sample` (what the sampling engine sizes its chunks
        and its memory check by); by default the same as a run's."""
        return self.estimate(n_actors, n_issues, batch)

    def estimate(self, n_actors: int, n_issues: int, batch: int = 1) -> MemoryEstimate:
        """Memory a run on ``batch`` scenarios of this size needs (see :class:`MemoryEstimate`).

        The default covers models that hold a few dozen ``[B, A, I]`` arrays (compromise,
        median, nash, anchored); a model with larger intermediates overrides it.
        """
        cells = batch * n_actors * max(n_issues, 1)
        return MemoryEstimate(working=8 * 32 * cells + 2**20,
                              outputs_per_row=8 * 2 * max(n_issues, 1))

    def explain(self, arrays: Arrays, issue_index: int, round_number: int,
                rng: np.random.Generator | None = None) -> list[ExplainTable]:
        """Tables that show why the model moved as it did on one issue in one round.

        Stepwise models override this; ``round_number`` counts from 1 (the first round of
        bargaining). ``arrays`` carry no batch axis. ``rng``: a stochastic model's stream,
        ``model_stream(seed, name)`` to show the round ``forecast`` plays at that seed.
        """
        raise option_error("--model", f"model '{self.name}' has no round-by-round explanation",
                           "choose a stepwise model that implements explain, e.g. "
                           f"{option_text('model', 'bdm')}")

    def _result(self, forecast: np.ndarray, **kw: Any) -> ModelResult:
        return ModelResult(model=self.name, options=self.options_dict(), forecast=forecast, **kw)
