"""Figures and the HTML report (see docs/report.md).

The names below are imported on first use (PEP 562), so importing a submodule such as
:mod:`detente.report.kinds` (every command lists the figure kinds) does not load matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from detente.lazy import lazy_exports

# ``name as name``: re-exported for strict type checkers (see detente/settlement/__init__.py).
if TYPE_CHECKING:
    from detente.report.figures import issue_map as issue_map
    from detente.report.figures import model_comparison as model_comparison
    from detente.report.figures import trajectories as trajectories
    from detente.report.style import figure_bytes as figure_bytes

_LAZY = {"figure_bytes": "detente.report.style", "issue_map": "detente.report.figures",
         "model_comparison": "detente.report.figures", "trajectories": "detente.report.figures"}

__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
