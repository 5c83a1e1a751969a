"""Every figure kind fits a slide and a page (issue 18, item 3).

Each kind is drawn for korea-2017 and for a generated 40-actor scenario with long names, in
both presets of :data:`detente.presets.PRESETS`, and fails on text that overlaps other
text (rendered bounding boxes), text cut by its clip box or the rendered box, text below the
preset's legible size, a code name in a legend, an anchor label cut with '…', or an output
of the wrong size.
"""

from __future__ import annotations

import io
import itertools
import re

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from PIL import Image

import detente
from detente.models import REGISTRY
from detente.presets import PRESETS, Preset
from detente.report.kinds import KINDS, Analysis, draw, report_settings
from detente.report.style import preset_bytes, preset_layout
from detente.scenario import Scenario, scenario_from_mapping
from detente.settlement.contributions import contributions

# Coarse grids and few samples: the test checks layout, not the numbers' precision.
FAST = {"settings": report_settings({"settle": {"step": 25.0}, "contributions": {"step": 50.0},
                                     "sample": {"samples": 200},
                                     "sensitivity": {"samples": 16, "bootstrap": 20}})}
TOLERANCE_PX = 1.0  # boxes that share an edge pixel do not overlap


def crowded_scenario(n_actors: int = 40, n_issues: int = 3, seed: int = 1) -> Scenario:
    """Many actors with long, similar names crowded on few issues."""
    rng = np.random.default_rng(seed)
    issues = [f"I{k}" for k in range(n_issues)]
    prefixes = ("Federal Republic of ", "Kingdom of ", "Union of ", "", "Republic of ")
    anchors = {0: "nothing at all", 25: "a quarter of the way", 50: "half way there",
               75: "most of the way", 100: "all of it, everywhere"}
    return scenario_from_mapping({
        "id": f"crowded-{n_actors}", "title": f"{n_actors} crowded actors",
        "issues": [{"id": i, "name": f"Issue number {k} with a long name", "units": "USD bn/yr",
                    "status_quo": 50.0, "anchors": anchors, "guarantors": ["A0", "A1"]}
                   for k, i in enumerate(issues)],
        "actors": [{"id": f"A{k}", "name": f"{prefixes[k % 5]}Actor {k}",
                    "capability": float(rng.uniform(5, 100))} for k in range(n_actors)],
        "stances": {f"A{k}": {i: {"position": float(rng.integers(0, 101)),
                                  "salience": float(rng.uniform(0.1, 1))} for i in issues}
                    for k in range(n_actors)},
        "packages": [
            {"id": "NOW", "name": "As things stand", "values": dict.fromkeys(issues, 50)},
            {"id": "LOWER", "name": "A little lower", "values": dict.fromkeys(issues, 40)}],
        "roadmaps": [{"id": "STEPS", "name": "Two steps", "stages": [
            {"name": "First", "values": {issues[0]: 40}},
            {"name": "Second", "values": {i: 40 for i in issues}}]}],
    })


@pytest.fixture(scope="module", params=["korea-2017", "crowded-40"])
def analysis(request: pytest.FixtureRequest) -> Analysis:
    if request.param == "korea-2017":
        return Analysis(detente.load("korea-2017"), **FAST)  # type: ignore[arg-type]
    analysis = Analysis(crowded_scenario(), **FAST)  # type: ignore[arg-type]
    # Shapley values of 40 actors from 2000 sampled orders take half a minute; 50 orders
    # draw the same figure layout (the test checks layout, not the values' precision).
    analysis.__dict__["contributions"] = contributions(analysis.scenario, step=50.0,
                                                       samples=50)
    return analysis


def _drawn_texts(fig: Figure) -> list[Text]:
    """The texts a render actually draws (a tick label outside the view is a Text that is
    never drawn): recorded from the renderer itself."""
    renderer = fig.canvas.get_renderer()
    drawn: dict[int, Text] = {}
    original = renderer.draw_text

    def record(gc, x, y, s, prop, angle, ismath=False, mtext=None):  # type: ignore[no-untyped-def]
        if mtext is not None and s.strip():
            drawn[id(mtext)] = mtext
        return original(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = record  # type: ignore[method-assign]
    try:
        fig.draw(renderer)
    finally:
        del renderer.draw_text
    return list(drawn.values())


def _overlap(a: object, b: object) -> bool:
    return (a.x0 + TOLERANCE_PX < b.x1 and b.x0 + TOLERANCE_PX < a.x1  # type: ignore[attr-defined]
            and a.y0 + TOLERANCE_PX < b.y1 and b.y0 + TOLERANCE_PX < a.y1)  # type: ignore[attr-defined]


def text_problems(fig: Figure, preset: Preset) -> list[str]:
    """Every overlapping pair, every cut text and every text too small for the preset."""
    box, dpi = preset_layout(fig, preset)
    renderer = fig.canvas.get_renderer()
    texts = _drawn_texts(fig)
    boxes = [t.get_window_extent(renderer) for t in texts]
    problems = []
    for (ta, ba), (tb, bb) in itertools.combinations(zip(texts, boxes, strict=True), 2):
        if _overlap(ba, bb):
            problems.append(f"overlap: {ta.get_text()[:40]!r} and {tb.get_text()[:40]!r}")
    # The rendered box in figure pixels: text reaching outside it is cut off.
    frame = (box.x0 * fig.dpi, box.y0 * fig.dpi, box.x1 * fig.dpi, box.y1 * fig.dpi)
    for text, b in zip(texts, boxes, strict=True):
        name = repr(text.get_text()[:40])
        if b.x0 < frame[0] - 0.5 or b.y0 < frame[1] - 0.5 or b.x1 > frame[2] + 0.5 \
                or b.y1 > frame[3] + 0.5:
            problems.append(f"cut by the figure edge: {name}")
        clip = text.get_clip_box() if text.get_clip_on() else None
        if clip is not None and not (clip.x0 - 0.5 <= b.x0 and b.x1 <= clip.x1 + 0.5
                                     and clip.y0 - 0.5 <= b.y0 and b.y1 <= clip.y1 + 0.5):
            problems.append(f"cut by its axes: {name}")
        pixels = text.get_fontsize() * dpi / 72
        if pixels < preset.min_text_px:
            problems.append(f"{pixels:.1f} px tall, under {preset.min_text_px:g}: {name}")
    return problems


def _figures(analysis: Analysis) -> tuple[list[tuple[str, Figure]], set[str]]:
    out, skipped = [], set()
    for kind, entry in KINDS.items():
        if entry.unavailable(analysis) is None:
            out.append((kind, draw(kind, analysis)))
        else:
            skipped.add(kind)
    return out, skipped


@pytest.mark.parametrize("preset", list(PRESETS.values()), ids=list(PRESETS))
def test_every_figure_fits_the_preset_without_overlap(analysis: Analysis,
                                                       preset: Preset) -> None:
    analysis.aspect = preset.aspect
    found = {}
    drawn, skipped = _figures(analysis)
    # Every kind the scenario supports is drawn: neither scenario has observed outcomes
    # (accuracy); the crowded one's roadmap names no guarantors (roadmap-scan).
    assert skipped <= {"accuracy", "roadmap-scan"}, skipped
    assert "roadmap" in {k for k, _ in drawn}
    for n, (kind, fig) in enumerate(drawn):
        problems = text_problems(fig, preset)
        if problems:
            found[kind] = problems[:6]
        png = Image.open(io.BytesIO(preset_bytes(fig, "png", preset)))
        if preset.exact:
            assert png.size == (preset.width_px, preset.height_px), kind
        else:
            assert png.width <= preset.width_px and png.height <= preset.height_px, kind
            assert max(png.width / preset.width_px, png.height / preset.height_px) > 0.99
        if n == 0:
            # The SVG is sized by the same preset_layout box as the PNG for every kind: one
            # kind per preset checks that the two formats agree (an SVG render is slow).
            svg = preset_bytes(fig, "svg", preset).decode()
            size = re.search(r'<svg[^>]*width="(\d+)px" height="(\d+)px"', svg)
            assert size is not None, kind
            assert (int(size[1]), int(size[2])) == png.size or not preset.exact, kind
    assert not found, found


def test_legends_and_labels_use_display_names() -> None:
    analysis = Analysis(detente.load("korea-2017"), **FAST)  # type: ignore[arg-type]
    for kind in ("issue-map", "comparison", "trajectories"):
        fig = draw(kind, analysis)
        texts = {t.get_text() for t in fig.findobj(Text)}
        legend_texts = {t.get_text() for legend in fig.findobj(Legend)
                        for t in legend.get_texts()}
        assert not (legend_texts & set(REGISTRY)), (kind, legend_texts & set(REGISTRY))
        assert not {t for t in texts if "…" in t}, kind
    comparison = {t.get_text() for t in draw("comparison", analysis).findobj(Text)}
    assert "Nash bargaining" in comparison


def test_a_model_that_repeats_another_is_named_once() -> None:
    # korea-2017 has no agenda setters, so anchored forecasts exactly what compromise does.
    f = detente.forecast("korea-2017", models=["compromise", "anchored", "median"])
    assert f.values("anchored") == pytest.approx(f.values("compromise"))
    from detente.report.figures import model_comparison

    texts = [t.get_text() for t in model_comparison(f).findobj(Text)]
    legend = [t for t in texts if t.startswith("Compromise anchored")]
    assert any("= Compromise on every issue" in t for t in legend), legend
    assert "Compromise anchored on agenda setters" not in texts


def test_without_actor_map_says_which_way_plus_goes() -> None:
    analysis = Analysis(detente.load("korea-2017"), **FAST)  # type: ignore[arg-type]
    texts = " ".join(t.get_text() for t in draw("without-actor", analysis).findobj(Text))
    assert "+ = towards the high end" in texts


def test_plot_preset_from_the_command_line(tmp_path: object) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from detente.cli import app

    out = Path(str(tmp_path))
    runner = CliRunner()
    done = runner.invoke(app, ["plot", "comparison", "--preset", "slide", "-o",
                               str(out / "slide.png")])
    assert done.exit_code == 0, done.output
    assert Image.open(out / "slide.png").size == (1920, 1080)
    done = runner.invoke(app, ["plot", "comparison", "--preset", "page", "-o",
                               str(out / "page.svg")])
    assert done.exit_code == 0, done.output
    assert 'width="1500px"' in (out / "page.svg").read_text()
    refused = runner.invoke(app, ["plot", "comparison", "--preset", "poster", "-o",
                                  str(out / "x.png")])
    assert refused.exit_code == 2 and "slide, page" in refused.output
    assert not (out / "x.png").exists()
