"""The registry of forecasting models: one explicit table, name -> model and its metadata.

``tests/test_registry.py`` fails when a model class exists but is not registered here, or
is registered without a reference and a docstring, and when a registered model cannot
take a batch axis (the sampling engine would fall back to one sample at a time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from detente.errors import DetenteError, OptionError, option_error
from detente.models.anchored import Anchored
from detente.models.base import (
    ExplainTable,
    Model,
    ModelResult,
    make_rng,
    model_seed,
    model_stream,
    spawn_seed,
)
from detente.models.bdm import Bdm
from detente.models.compromise import Compromise
from detente.models.constrained import ConstrainedCompromise
from detente.models.median import Median
from detente.models.nash import Nash
from detente.models.procedural import Procedural
from detente.models.smp import SMP


@dataclass(frozen=True)
class ModelInfo:
    name: str
    model: type[Model]
    title: str
    reference: str
    deterministic: bool
    stepwise: bool
    returns: str

    def public(self) -> dict[str, Any]:
        """The entry as plain data (``/api/info``): its options with their scalar defaults
        (none where the model cannot be built with its defaults)."""
        try:
            options = self.model().options_dict()
        except DetenteError:
            options = {}
        return {"name": self.name, "title": self.title, "reference": self.reference,
                "deterministic": self.deterministic,
                "options": {k: v for k, v in options.items()
                            if v is None or isinstance(v, str | int | float | bool)}}


REGISTRY: dict[str, ModelInfo] = {
    info.name: info
    for info in (
        ModelInfo("compromise", Compromise, "Compromise (weighted mean)",
                  "Achen (2006), The European Union Decides, ch. 4", True, False,
                  "forecast per issue"),
        ModelInfo("median", Median, "Weighted median",
                  "Black (1948), J. Political Economy 56(1)", True, False, "forecast per issue"),
        ModelInfo("anchored", Anchored, "Compromise anchored on agenda setters (stacked)",
                  "Achen (2006); Wolpert (1992) Neural Networks 5(2); Breiman (1996) "
                  "Machine Learning 24(1)", True, False, "forecast per issue"),
        ModelInfo("nash", Nash, "Nash bargaining (status quo disagreement)",
                  "Nash (1950), Econometrica 18(2); Kalai (1977)", True, False,
                  "forecast per issue; whether a single-issue deal exists"),
        ModelInfo("bdm", Bdm, "Bueno de Mesquita expected utility (Scholz et al. reconstruction)",
                  "Scholz, Calbert & Smith (2011), J. Theoretical Politics 23(4):510-531; "
                  "Bueno de Mesquita (1994, 2002)", True, True,
                  "median voter position when bargaining stops; per-round trajectory"),
        ModelInfo("smp", SMP, "Spatial Model of Politics (KTAB)",
                  "Wise et al., KAPSARC Toolkit for Behavioral Analysis (KTAB), SMP; "
                  "docs/smp.md", True, True,
                  "forecast (expected final position); per-turn positions of every actor; "
                  "probability of each final position"),
        ModelInfo("constrained", ConstrainedCompromise,
                  "Constrained compromise (moved into the veto players' win-set of the status "
                  "quo)",
                  "Achen (2006), The European Union Decides, ch. 4; Tsebelis (2002), "
                  "Veto Players, ch. 1-2", True, False,
                  "forecast per issue; whether the compromise was moved"),
        ModelInfo("procedural", Procedural,
                  "EU procedural model (the agenda setter's best point in the win-set)",
                  "Tsebelis (1994) APSR 88(1); Steunenberg (1994) JITE 150(4); Thomson et al. "
                  "(2006), The European Union Decides", True, False,
                  "forecast per issue; the win-set of the status quo"),
    )
}

DEFAULT_MODELS: tuple[str, ...] = ("compromise", "median", "nash")


def get_model(name: str, **options: Any) -> Model:
    """Build a registered model by name with its options."""
    info = REGISTRY.get(name)
    if info is None:
        raise option_error("model", f"unknown model '{name}'",
                           f"registered models: {', '.join(REGISTRY)}")
    return info.model(**options)


def draws_at_random(model: Model) -> bool:
    """Whether ``model``, as its options set it, draws from its stream: one registered as
    stochastic, or one with a mode that draws (smp with transitions="stochastic")."""
    return not getattr(model, "deterministic", REGISTRY[model.name].deterministic)


def require_known_actors(options: Mapping[str, Mapping[str, Any]],
                         actor_ids: Sequence[str]) -> None:
    """Refuse every actor id the user's model options (per model name, the options given)
    name that ``actor_ids`` lacks (:meth:`Model.unknown_actors`): ``-O procedural.setter=up``
    on a scenario whose actor is UP ran the compromise fallback without a word."""
    problems = [p for name, given in options.items() if name in REGISTRY
                for p in get_model(name, **dict(given)).unknown_actors(given, actor_ids)]
    if problems:
        raise OptionError(problems)


__all__ = ["DEFAULT_MODELS", "REGISTRY", "ExplainTable", "Model", "ModelInfo", "ModelResult",
           "draws_at_random", "get_model", "make_rng", "model_seed", "model_stream",
           "require_known_actors", "spawn_seed"]
