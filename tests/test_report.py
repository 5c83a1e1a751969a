"""Figures and the HTML report render for korea-2017 and have the structure they promise."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from typer.testing import CliRunner

import detente
from detente.analyses import ANALYSES, run
from detente.cli import app
from detente.models import ModelResult
from detente.render import view_html
from detente.report import figure_bytes, issue_map, model_comparison, trajectories
from detente.report.html import render_report
from detente.report.kinds import KINDS, Analysis, draw
from detente.report.style import distinct_models, model_label
from detente.view import View

# Coarse grids and few samples: these tests check structure, not the numbers' precision.
FAST_SETTINGS = {"settle": {"step": 25.0}, "contributions": {"step": 25.0},
                 "sample": {"samples": 200}, "sensitivity": {"samples": 16, "bootstrap": 20}}
FAST = dict(settings=FAST_SETTINGS, dpi=30)


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return Analysis.of("korea-2017", **FAST)


@pytest.fixture(scope="module")
def observed() -> Analysis:
    """korea-2017 with made-up observed outcomes, to exercise the accuracy path."""
    s = detente.load("korea-2017")
    made_up = {i.id: {"value": 50.0} for i in s.issues}
    scenario = s.model_validate({**s.model_dump(), "outcomes": made_up})
    return Analysis.of(scenario, models=["compromise", "median"], **FAST)


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _label_boxes(fig: Figure, names: set[str]) -> list:
    fig.canvas.draw()
    return [t.get_window_extent() for t in fig.findobj(Text)
            if t.get_text() in names and t.get_visible()]


@pytest.fixture(scope="module")
def korea_map(analysis: Analysis) -> Figure:
    return issue_map(analysis.forecast)


def test_issue_map_names_anchors_and_no_overlapping_actor_labels(analysis: Analysis,
                                                                 korea_map: Figure) -> None:
    fig = korea_map
    texts = _texts(fig)
    s = analysis.scenario
    for actor in s.actors:
        assert texts.count(actor.name) == len(s.issues)   # one label per issue, names not ids
    assert "United States" in texts and "US" not in texts
    for issue in s.issues:
        assert issue.name in texts
        for anchor in issue.anchors:
            assert any(t.replace("\n", " ").replace("- ", "-") == anchor.label for t in texts)
    fig.canvas.draw()
    for ax in fig.axes:
        boxes = [t.get_window_extent() for t in ax.texts if t.get_gid() == "actor-label"]
        assert len(boxes) == len(s.actors)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), "actor labels overlap"


def test_anchor_labels_do_not_overlap(analysis: Analysis, korea_map: Figure) -> None:
    fig = korea_map
    fig.canvas.draw()
    for ax, issue in zip(fig.axes, analysis.scenario.issues, strict=True):
        labels = [t for t in ax.texts if t.get_gid() == "anchor-label"]
        assert len(labels) == len(issue.anchors)
        # A label that fits nowhere is left out (and counted in the figure's note), never
        # drawn over another.
        boxes = [t.get_window_extent() for t in labels if t.get_visible()]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), f"anchor labels overlap on {issue.id}"


def test_issue_map_draws_on_given_axes(analysis: Analysis) -> None:
    from detente.report.style import new_figure

    fig = new_figure(9, 3)
    ax = fig.add_subplot()
    assert issue_map(analysis.forecast, "NUC", ax=ax) is fig
    with pytest.raises(detente.DetenteError, match="unknown issue"):
        issue_map(analysis.forecast, "NOPE")
    with pytest.raises(detente.DetenteError, match="2 panel"):
        issue_map(analysis.forecast, ["NUC", "MSL"], ax=ax)


def test_model_comparison_marks_every_model(analysis: Analysis) -> None:
    fig = model_comparison(analysis.forecast)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    # A model that repeats another on every issue (anchored without agenda setters) is
    # named in a note instead of drawn under the other's markers; legends use display names.
    kept, same = distinct_models({m: analysis.forecast.values(m)
                                  for m in analysis.forecast.results},
                                 analysis.forecast.scenario)
    assert set(kept) | set(same) == set(analysis.forecast.results)
    assert legend == ["status quo", *[model_label(m) for m in kept]]
    texts = " ".join(t.get_text() for t in fig.findobj(Text))
    for model, twin in same.items():
        assert f"{model_label(model)} = {model_label(twin)}" in texts
    ax = fig.axes[0]
    # One marker per model and issue, placed at the model's value.
    values = sorted(v for m in kept for v in analysis.forecast.values(m).values())
    marked = sorted(float(line.get_xdata()[0]) for line in ax.lines
                    if line.get_marker() not in ("None", "", None) and len(line.get_xdata()) == 1)
    assert np.allclose(marked, values)


def test_every_kind_renders_or_says_why(analysis: Analysis, tmp_path: Path) -> None:
    for kind, entry in KINDS.items():
        reason = entry.unavailable(analysis)
        if reason:
            with pytest.raises(detente.DetenteError, match=kind):
                draw(kind, analysis)
            continue
        png = figure_bytes(draw(kind, analysis), "png", dpi=20)
        assert png.startswith(b"\x89PNG"), kind


class _Stepwise(detente.models.Model):
    """A test double: every actor moves halfway to the weighted mean each round."""

    name = "halfway"

    def run(self, arrays, rng=None):  # type: ignore[no-untyped-def]
        pos = arrays.position.copy()
        steps = [pos.copy()]
        w = arrays.weight
        for _ in range(4):
            mean = (w * pos).sum(0) / w.sum(0)
            pos = pos + 0.5 * (mean - pos)
            steps.append(pos.copy())
        return ModelResult("halfway", {}, pos.mean(0), trajectory=np.stack(steps))


def test_trajectories_of_a_stepwise_model() -> None:
    f = detente.forecast("korea-2017", models=["compromise", _Stepwise()])
    fig = trajectories(f)
    assert len([a for a in fig.axes if a.get_title(loc="left")]) == len(f.scenario.issues)
    texts = _texts(fig)
    assert "halfway forecast" in texts and "United States" in texts
    with pytest.raises(detente.DetenteError, match="not stepwise"):
        trajectories(f, "compromise")
    line = fig.axes[0].lines[0]
    assert len(line.get_xdata()) == 5


def test_settlement_figure_marks_every_blocker(analysis: Analysis) -> None:
    from detente.report.settlement import package_rows

    fig = draw("settlement", analysis)
    rows = package_rows(analysis.settlement)
    marked = [t for t in _texts(fig) if t.endswith("✕")]
    assert len(marked) == sum(len(r.blockers) for r in rows) > 0
    named = [p.name for p in analysis.scenario.packages]
    assert all(any(t.startswith(n[:20]) for t in _texts(fig)) for n in named)
    # korea-2017's P0 is the status quo; with the walk-away points the scenario states (PX,
    # issue 16) gains are measured from those, so P0 is a package like any other, drawn
    # with whoever blocks it, and no row is marked as the reference point.
    p0 = next(p for p in analysis.settlement.baseline.packages if p.id == "P0")
    assert p0.walk_away and not [r for r in rows if r.reference]
    row = next(r for r in rows if r.label == "Status quo, April 2017")
    assert row.blockers == p0.blockers
    assert not any("= the status quo (reference point)" in t for t in _texts(fig))


def test_tornado_labels_use_names(analysis: Analysis) -> None:
    fig = draw("tornado", analysis)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels and all("[" not in label for label in labels)
    names = {a.name for a in analysis.scenario.actors}
    assert any(any(n in label for n in names) for label in labels)


def test_accuracy_figure_and_section(observed: Analysis) -> None:
    fig = draw("accuracy", observed)
    titles = " ".join(ax.get_title(loc="left") for ax in fig.axes)
    assert "compromise" in titles and "MAE" in titles
    from detente.report.html import SECTIONS

    accuracy_section = next(b for b in SECTIONS if b.__name__ == "_accuracy")(observed)
    assert accuracy_section is not None and accuracy_section.id == "accuracy"
    html = accuracy_section.reading
    forecast = observed.forecast.values("compromise")
    mae = np.mean([abs(v - 50.0) for v in forecast.values()])
    assert f"{mae:.1f}" in html   # the reading quotes the error it computed
    # One scenario is one group: no bootstrap interval (it read "95% interval 9.2–9.2").
    assert "no interval: one group" in html and "nan" not in html.lower()
    assert "[" not in titles and "nan" not in titles.lower()


def test_report_structure(analysis: Analysis) -> None:
    html = render_report(analysis)
    for section in ("forecasts", "issue-map", "trajectories", "settlement", "contributions",
                    "counterfactuals", "settlement-without", "uncertainty", "sensitivity",
                    "sources"):
        assert f'<section id="{section}">' in html, section
    assert '<section id="accuracy">' not in html    # korea-2017 has no observed outcomes
    assert html.count('src="data:image/png;base64,') >= 9
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert html.count('class="reading"') == html.count("<section id=") - 1
    for source in analysis.scenario.sources:
        assert source.replace("'", "&#39;") in html
    for name in analysis.forecast.results:
        assert f"<th>{name}</th>" in html
    # The forecast table is `detente forecast`'s own view, through the one HTML renderer.
    view = run("forecast", analysis.scenario, **analysis.settings["forecast"]).view()
    assert view_html(View("", tables=view.tables[:1])) in html
    # The settings section lists every option of every analysis shown, as run.
    for name, options in analysis.settings.items():
        assert set(options) == {o.name for o in ANALYSES[name].options}
        assert f"<td>{name}</td>" in html
    # Readings are computed: the model that differs most is named with its number.
    assert "differ most on" in html


def test_the_report_opens_with_the_brief_computed_once(analysis: Analysis,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import detente.brief as brief_module
    from detente.brief import BRIEF_MODELS, compose_brief, compute_brief
    from detente.glossary import with_terms
    from detente.report.html import _brief

    settings = analysis.settings
    assert settings["contributions"]["step"] == settings["settle"]["step"]  # same inputs
    expected = compose_brief(compute_brief(analysis.scenario, step=settings["settle"]["step"],
                                           samples=settings["sample"]["samples"],
                                           seed=analysis.seed))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report's brief ran its own analyses")

    # The report composes from what it computed (every model, counterfactual settle):
    # running the brief's analyses again fails here.
    monkeypatch.setattr(brief_module, "compute_brief", refuse)
    monkeypatch.setattr(brief_module, "make_brief", refuse)
    assert set(analysis.forecast.results) > set(BRIEF_MODELS)
    page = str(_brief(analysis).view)
    for part in expected.sections:
        assert f"<h3>{part.heading}</h3>" in page
        for paragraph in part.paragraphs:
            assert f"<p>{with_terms(paragraph)}</p>" in page, paragraph
    assert page.count("<p>") == sum(len(part.paragraphs) for part in expected.sections)


def test_cli_plot_and_report(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "map.svg"
    result = runner.invoke(app, ["plot", "issue-map", "korea-2017", "-o", str(out), "-i", "NUC",
                                 "-m", "median"])
    assert result.exit_code == 0, result.output
    assert out.read_text().lstrip().startswith("<?xml")
    again = runner.invoke(app, ["plot", "issue-map", "-o", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output
    bad = runner.invoke(app, ["plot", "issue-map", "-o", str(tmp_path / "x.gif")])
    assert bad.exit_code == 2 and ".png, .svg or .pdf" in bad.output
    unknown = runner.invoke(app, ["plot", "pie", "-o", str(tmp_path / "x.png")])
    assert unknown.exit_code == 2 and "issue-map" in unknown.output
    # `detente report` itself runs in tests/test_surfaces.py, with a counterfactual.


def test_plot_and_report_are_declared_once_in_the_registry() -> None:
    # One declaration: the CLI commands and the web entries are the registry's specs, and
    # every figure kind drawn is a kind declared (with its title), in the same order.
    pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
    import typer.main

    from detente.analyses.documents import FIGURES
    from detente.web.analyses import available_analyses, public

    assert list(KINDS) == list(FIGURES) == list(ANALYSES["plot"].option("kind").choices)
    assert all(KINDS[k].title == FIGURES[k] for k in KINDS)
    offered = available_analyses()
    assert offered["plot"] is ANALYSES["plot"] and offered["report"] is ANALYSES["report"]
    kind = next(o for o in public(offered["plot"])["options"] if o["name"] == "kind")
    assert kind["choices"] == list(FIGURES) and kind["default"] == "issue-map"
    assert "data" not in {o["name"] for o in public(offered["report"])["options"]}
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert commands["plot"].help == ANALYSES["plot"].summary
    # No headline numbers for `detente compare`.
    from detente.analyses.compare import PARTS

    assert {"plot", "report"}.isdisjoint(PARTS)


def test_plot_refuses_what_it_cannot_write_before_drawing(tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["plot", "pie", "-o", str(tmp_path / "x.png")])
    assert unknown.exit_code == 2 and "Traceback" not in unknown.output
    text = " ".join(unknown.output.split())
    assert "KIND: unknown figure kind 'pie'" in text
    assert "use " + ", ".join(KINDS) in text
    folder = runner.invoke(app, ["plot", "comparison", "-o", str(tmp_path)])
    assert folder.exit_code == 2 and "is a folder" in folder.output
    assert not list(tmp_path.iterdir())
    # --force overwrites (the file only: nothing else is written).
    out = tmp_path / "c.png"
    out.write_bytes(b"mine")
    kept = runner.invoke(app, ["plot", "comparison", "-m", "compromise", "--dpi", "30",
                               "-o", str(out)])
    assert kept.exit_code == 2 and out.read_bytes() == b"mine"
    forced = runner.invoke(app, ["plot", "comparison", "-m", "compromise", "--dpi", "30",
                                 "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_bytes().startswith(b"\x89PNG") and forced.stdout.startswith(f"wrote {out}")
    assert [p.name for p in tmp_path.iterdir()] == ["c.png"]


def test_issue_map_draws_each_issues_actors_on_that_issues_scale() -> None:
    # examples/my.yaml: FLOW on 0 to 20, FUND on 0 to 100. The FUND panel drew its actors
    # through FLOW's scale (FUND's 20, 50, 70, 60 at 4, 10, 14, 12): the positions of every
    # issue but the first were wrong in the figure, with no error.
    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    scenario = detente.load(example)
    fig = issue_map(example)
    for ax, issue in zip(fig.axes, scenario.issues, strict=False):
        drawn = {t.get_text(): float(t.xy[0]) for t in ax.texts if t.get_gid() == "actor-label"}
        wanted = {scenario.name_of(a): scenario.stances[a][issue.id].position.value
                  for a in scenario.actor_ids if issue.id in scenario.stances[a]}
        assert drawn == pytest.approx(wanted), (issue.id, drawn, wanted)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_figure_kind_refuses_an_unknown_issue(kind: str, tmp_path: Path) -> None:
    # tornado failed with "an internal error in plot" (tuple.index); uncertainty and
    # issue-zones drew their figure, ignoring -i XX; issue-map refused it.
    runner = CliRunner()
    out = tmp_path / "x.png"
    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    result = runner.invoke(app, ["plot", kind, str(example), "-i", "FLWO", "-i", "XX",
                                 "-o", str(out)])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "internal error" not in text, result.output
    assert "unknown issue 'FLWO'" in text and "did you mean 'FLOW'?" in text
    assert "unknown issue 'XX'" in text and not out.exists()


def test_the_reports_brief_is_the_page_detente_brief_prints_by_default() -> None:
    # The report says "`detente brief` prints the same page", but it sampled 1,000
    # scenarios and brief 500: examples/my.yaml's 90% interval read 28.9–52.7 in one and
    # 29.3–52.1 in the other.
    from detente.glossary import with_terms
    from detente.report.html import _brief

    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    page = str(_brief(Analysis.of(example)).view)
    printed = run("brief", str(example)).value
    for part in printed.sections:
        for paragraph in part.paragraphs:
            assert f"<p>{with_terms(paragraph)}</p>" in page, paragraph
    assert page.count("<p>") == sum(len(part.paragraphs) for part in printed.sections)


def _river_vetoes(tmp_path: Path, vetoes: set[str]) -> Path:
    """examples/my.yaml with only ``vetoes`` holding a veto, written to ``tmp_path``."""
    import yaml

    raw = yaml.safe_load((Path(__file__).resolve().parents[1] / "examples" / "my.yaml")
                         .read_text(encoding="utf-8"))
    for actor in raw["actors"]:
        actor["veto"] = actor["id"] in vetoes
    path = tmp_path / "vetoes.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.mark.parametrize(("vetoes", "said", "left_out"), [
    # Nobody must agree: settle refuses, so every section that needs a party goes.
    (set(), "No package is searched, so the zones, the guarantors, the roadmaps and the deal "
     "without each actor are left out too: no actor holds a veto and cares about any issue, "
     "so every package is acceptable and there is nothing to settle.",
     {"zones", "contributions", "settlement-without"}),
    # One veto player: only the deal without it has nobody who must agree.
    ({"UP"}, "Without Upstream State nobody is left who must agree, so there is nothing to "
     "settle.", set()),
])
def test_the_report_leaves_out_what_needs_a_party_that_must_agree(
        tmp_path: Path, vetoes: set[str], said: str, left_out: set[str]) -> None:
    # Settle's refusal where nobody must agree refused the whole report (exit 2), its
    # forecasts, uncertainty and sensitivity as meaningful as ever.
    path = _river_vetoes(tmp_path, vetoes)
    out = tmp_path / "r.html"
    # A quarter of each scale: an absolute step of 25 is wider than the river's 0-20.
    fast = [f"--set={name}.{option}={'25%' if option == 'step' else value}"
            for name, options in FAST_SETTINGS.items() for option, value in options.items()]
    result = CliRunner().invoke(app, ["report", str(path), "-o", str(out), *fast])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&#39;", "'")
    assert said in text, text
    ids = set(re.findall(r'<section id="([^"]+)"', page))
    assert {"forecasts", "uncertainty", "sensitivity"} <= ids and not ids & left_out, ids


def test_a_figure_that_needs_a_party_that_must_agree_names_the_file(tmp_path: Path) -> None:
    # The figure is drawn after the run: its refusal (nobody must agree) named no file,
    # where settle's, met in the run, names it.
    path = _river_vetoes(tmp_path, set())
    result = CliRunner().invoke(app, ["plot", "settlement", str(path), "-o",
                                      str(tmp_path / "s.png")])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {path}: actors: "), result.output


def test_each_actor_is_left_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The actors the report can leave out were found by leaving each out, and those whose
    # deal it searches by leaving each of them out again.
    from detente.variation import Variation

    left_out: list[tuple[str, ...]] = []
    real = Variation.apply

    def counted(self: Variation, arrays: object) -> object:
        left_out.append(self.without)
        return real(self, arrays)  # type: ignore[arg-type]

    monkeypatch.setattr(Variation, "apply", counted)
    fresh = Analysis.of("korea-2017", **FAST)
    assert fresh.can_leave_out and set(fresh.settles_without) <= set(fresh.can_leave_out)
    assert len(left_out) == len(set(left_out)) == len(fresh.scenario.actor_ids)
