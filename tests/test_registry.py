"""The model registry: every Model subclass is registered, and every registered model batches.

The batching fallback (``detente.uncertainty.engine.check_batching``) runs a model one
sample at a time when one batched call does not give the same numbers as single calls. It
is a safety net for third-party models; no model of ours may need it, in any mode.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import detente
import detente.models
from detente.models import REGISTRY
from detente.models.base import Model
from detente.uncertainty.engine import check_batching
from detente.uncertainty.inputs import input_space
from detente.uncertainty.sampling import model_kernel, resolve_noise


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_every_model_class_is_registered() -> None:
    for module in pkgutil.iter_modules(detente.models.__path__):
        importlib.import_module(f"detente.models.{module.name}")
    ours = {c for c in _all_subclasses(Model) if c.__module__.startswith("detente.models.")}
    registered = {info.model for info in REGISTRY.values()}
    assert ours, "no Model subclass found: the walk over detente.models is broken"
    assert sorted(c.__name__ for c in ours - registered) == []
    for name, info in REGISTRY.items():
        assert info.model.name == name
        assert info.reference.strip() and (info.model.__doc__ or "").strip(), name


# Every registered model with its default options, plus the options that change how a
# model draws or batches.
BATCH_CASES = [(name, {}) for name in sorted(REGISTRY)] + [
    ("smp", {"transitions": "stochastic"}),
    ("smp", {"ktab_compat": True}),
]


@pytest.mark.parametrize(("model", "options"), BATCH_CASES,
                         ids=[f"{m}-{'-'.join(map(str, o.values())) or 'default'}"
                              for m, o in BATCH_CASES])
def test_no_registered_model_takes_the_batching_fallback(model: str, options: dict) -> None:
    scenario = detente.load("korea-2017")
    space = input_space(scenario, resolve_noise(scenario, None)[0])
    kernel, note = check_batching(model_kernel(model, options), space, seed=1)
    assert note == ""
    assert kernel.batched


def test_stochastic_smp_samples_do_not_depend_on_the_chunk_size() -> None:
    """A model that draws runs on whole blocks, so chunking (and workers) cannot change it."""
    from detente.uncertainty import engine
    from detente.uncertainty.sampling import sample

    kw = {"model": "smp", "samples": 2 * engine.BLOCK, "rng": 1,
          "options": {"transitions": "stochastic", "max_turns": 2}}
    one = sample("korea-2017", chunk_size=engine.BLOCK, **kw).forecasts
    two = sample("korea-2017", chunk_size=2 * engine.BLOCK, **kw).forecasts
    np.testing.assert_array_equal(one, two)
