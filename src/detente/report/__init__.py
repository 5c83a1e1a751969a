"""Figures and the HTML report (see docs/report.md)."""

from detente.report.figures import issue_map, model_comparison, trajectories
from detente.report.style import figure_bytes

__all__ = ["figure_bytes", "issue_map", "model_comparison", "trajectories"]
