"""Roadmaps: staged settlements where every step must hold and later promises are only as
good as their guarantors. Equations and sources: ``docs/roadmap.md``.

* :mod:`~detente.roadmaps.model`: the array core (banked gains, expected rest, margins);
* :mod:`~detente.roadmaps.search`: the path search on top of the settlement search;
* :mod:`~detente.roadmaps.api`: :func:`roadmap`, the API behind ``detente roadmap``.
"""

from detente.roadmaps.api import (
    Break,
    Checkpoint,
    RoadmapAnalysis,
    RoadmapEvaluation,
    RoadmapOutcome,
    SearchResult,
    StagedPlan,
    TrustScan,
    evaluate_plan,
    plans_from_scenario,
    roadmap,
    roadmap_values,
)
from detente.roadmaps.model import Checkpoints, StageTerms, evaluate_stages, stage_terms
from detente.roadmaps.search import PathSearch, issue_paths, search_paths

__all__ = [
    "Break",
    "Checkpoint",
    "Checkpoints",
    "PathSearch",
    "RoadmapAnalysis",
    "RoadmapEvaluation",
    "RoadmapOutcome",
    "SearchResult",
    "StageTerms",
    "StagedPlan",
    "TrustScan",
    "evaluate_plan",
    "evaluate_stages",
    "issue_paths",
    "plans_from_scenario",
    "roadmap",
    "roadmap_values",
    "search_paths",
    "stage_terms",
]
