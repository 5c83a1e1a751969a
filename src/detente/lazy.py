"""Public names imported on first use (PEP 562), for a package that lists them once.

``import detente`` and ``detente forecast`` stay light only while a package's ``__init__``
imports nothing heavy: each of its public names is looked up in the module that defines it
the first time it is read.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, origins: Mapping[str, str],
                 renamed: Mapping[str, str] | None = None
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose public names are the keys
    of ``origins`` (name -> the module that defines it); ``renamed``: a name spelled
    differently in its module."""
    spelled = dict(renamed or {})

    def get(name: str) -> Any:
        origin = origins.get(name)
        if origin is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(origin), spelled.get(name, name))
        vars(sys.modules[package])[name] = value  # later look-ups skip this function
        return value

    def names() -> list[str]:
        return sorted({*vars(sys.modules[package]), *origins})

    return get, names
