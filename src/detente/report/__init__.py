"""Figures and the HTML report (see docs/report.md).

The names below are imported on first use (PEP 562), so importing a submodule such as
:mod:`detente.report.kinds` (every command lists the figure kinds) does not load matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from detente.report.figures import issue_map, model_comparison, trajectories
    from detente.report.style import figure_bytes

_LAZY = {"figure_bytes": "detente.report.style", "issue_map": "detente.report.figures",
         "model_comparison": "detente.report.figures", "trajectories": "detente.report.figures"}

__all__ = ["figure_bytes", "issue_map", "model_comparison", "trajectories"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'detente.report' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
