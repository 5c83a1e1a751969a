"""The per-issue zone, frontier, roadmap and trust × learning figures, and their sections."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

import detente
from detente.report.html import render_report
from detente.report.kinds import Analysis, draw
from detente.report.roadmap_scan import learning_scan_figure
from detente.report.zone_figure import frontier_figure, issue_zone_figure
from detente.variation import Variation
from tests.test_report import FAST


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return Analysis.of("korea-2017", **FAST)


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_zone_figure_has_one_bar_per_issue_and_places_the_best_package(
        analysis: Analysis) -> None:
    s = analysis.scenario
    before = plt.get_fignums()
    fig = draw("issue-zones", analysis)
    assert plt.get_fignums() == before  # never registered with pyplot
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == len(s.issues)
    for issue, label in zip(s.issues, labels, strict=True):
        assert label.replace("\n", " ").startswith(issue.id)
    with pytest.raises(ValueError, match="zones=True"):
        issue_zone_figure(detente.settle(s, step=50.0, zones=False).baseline, s)


def test_frontier_figure_labels_every_named_package(analysis: Analysis) -> None:
    fig = frontier_figure(analysis.deal, analysis.frontier)
    texts = _texts(fig)
    for p in analysis.deal.packages:
        assert p.id in texts
    a, b = analysis.frontier_actors
    assert fig.axes[0].get_xlabel().startswith(f"gain of {a}")
    assert {a, b} <= set(analysis.scenario.actor_ids) and a != b


def test_scan_figure_says_whether_the_roadmap_holds() -> None:
    r = detente.roadmap("korea-2017", scan="KP.RU,KP.CN", scan_learning=True,
                        scan_values=[0.0, 0.5, 1.0], variations=[Variation(without=("RU",))])
    fig = learning_scan_figure(r, "OPED")
    title = fig.get_suptitle() if hasattr(fig, "get_suptitle") else fig._suptitle.get_text()
    verdicts = ["holds at" if ls.holding("OPED") else "breaks everywhere"
                for ls in r.learning_scans]
    for ls, verdict in zip(r.learning_scans, verdicts, strict=True):
        assert f"{ls.label}: {verdict}" in title.replace("\n", " ")
    assert len(fig.axes) == 2 * 2 + 1  # two rows per outcome, and the colour bar
    with pytest.raises(ValueError, match="scan_learning"):
        learning_scan_figure(detente.roadmap("korea-2017"))


def test_report_has_zone_and_roadmap_sections(analysis: Analysis) -> None:
    html = render_report(analysis)
    for section in ("zones", "roadmap"):
        assert f'<section id="{section}">' in html, section
    # The reading names the roadmap's verdict over the scan, computed from the scan.
    scans = analysis.roadmap.learning_scans
    assert scans and all(ls.label in html for ls in scans)
