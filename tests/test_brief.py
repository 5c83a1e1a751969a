"""`detente brief`: every sentence comes from the numbers (issue 18, item 1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import detente
from detente.brief import (
    Brief,
    BriefInputs,
    anchor_steps,
    compose_brief,
    compute_brief,
    find_chromium,
    make_brief,
    pdf_pages,
    status_quo_losses,
)
from detente.cli import app
from detente.render import fmt
from detente.scenario import Scenario

FAST = dict(step=25.0, samples=50, seed=0)


@pytest.fixture(scope="module", params=["korea-2017", "korea-2017-moon"])
def scenario(request: pytest.FixtureRequest) -> Scenario:
    return detente.load(request.param)


@pytest.fixture(scope="module")
def inputs(scenario: Scenario) -> BriefInputs:
    return compute_brief(scenario, **FAST)


@pytest.fixture(scope="module")
def brief(inputs: BriefInputs) -> Brief:
    return compose_brief(inputs)


def _text(brief: Brief) -> str:
    return "\n".join(p for s in brief.sections for p in s.paragraphs)


def test_the_brief_answers_each_question(brief: Brief) -> None:
    headings = [s.heading for s in brief.sections]
    for wanted in ("Bottom line", "Where bargaining is likely to land",
                   "The best and the smallest deal",
                   "What the guarantors add", "How sure we are", "Caveats"):
        assert wanted in headings


def test_each_issue_is_said_in_its_forecast_and_anchors(scenario: Scenario,
                                                        brief: Brief) -> None:
    # The headline is the combined forecast (the models run for it, independently here).
    f = detente.forecast(scenario, models=["compromise", "median", "nash"], combined=True)
    combined = f.combined_values()
    where = next(s for s in brief.sections if s.heading.startswith("Where"))
    for issue in scenario.issues:
        line = next(p for p in where.paragraphs if p.startswith(issue.name + ":"))
        value = combined[issue.id]["combined"]
        assert line.startswith(f"{issue.name}: {fmt(issue.status_quo.value)} → "), line
        assert f"({fmt(value)})" in line or f"{fmt(value)}, " in line, line  # exact or near
        nearest = min(issue.anchors, key=lambda a: abs(a.value - value))
        assert nearest.label in line, line
        column = [f.values(m)[issue.id] for m in f.results]
        assert (f"models {fmt(min(column))}–{fmt(max(column))} {issue.units}" in line
                or max(column) - min(column) <= 1e-9), line


def test_named_proposals_name_their_blockers(scenario: Scenario, inputs: BriefInputs,
                                            brief: Brief) -> None:
    settled = inputs.settlement
    proposals = next(s for s in brief.sections if s.heading == "Which proposals can pass")
    status_quo = {i.id: i.status_quo.value for i in scenario.issues}
    for p in settled.baseline.packages:
        said = [t for t in proposals.paragraphs if t.startswith(p.name)]
        # The reference point -- the status quo, or with walk-away points stated the
        # package nobody gains or loses from (everyone's walk-away) -- is no proposal.
        if (not p.walk_away and all(abs(v - status_quo[k]) < 1e-9
                                    for k, v in p.values.items())) \
                or all(abs(g) < 1e-6 for g in p.gains.values()):
            assert not said, p.name
            continue
        assert len(said) == 1, p.name
        if not p.blockers:
            assert said[0].startswith(f"{p.name} can pass"), said
            continue
        names = [scenario.name_of(b) for b in p.blockers]
        assert said[0].startswith(f"{p.name}: blocked by {names[0]}"), said
        assert all(n in said[0] for n in names), said


def test_no_sign_on_zero_and_every_number_finite(brief: Brief) -> None:
    text = _text(brief) + brief.to_markdown()
    assert not re.search(r"(?<![\w.])[-−+]0(\.0+)?(?![\d.])", text), text
    assert not re.search(r"\b(nan|inf)\b", text, re.I)
    assert "e+" not in text


def test_a_changed_number_changes_the_sentence() -> None:
    base = detente.load("korea-2017")
    data = base.model_dump()
    # The status quo of sanctions moves from 30 to 60: the sentence about where sanctions
    # land must say the new status quo, and the losses the gains are compared with change.
    for issue in data["issues"]:
        if issue["id"] == "SANC":
            issue["status_quo"]["value"] = 60.0
    changed = base.model_validate(data)
    before, after = make_brief(base, **FAST), make_brief(changed, **FAST)
    line = [p for s in after.sections for p in s.paragraphs
            if p.startswith("Sanctions on the DPRK:")]
    assert line and line[0].startswith("Sanctions on the DPRK: 60 → "), line
    assert _text(before) != _text(after)
    assert status_quo_losses(base) != status_quo_losses(changed)


# What fits one printed A4 page at the print style of brief.html.j2 (measured: the
# korea-2017 brief at the default grid, 804 words, leaves about a tenth of the page blank).
WORD_BUDGET = 850


def test_the_brief_fits_its_page_budget(brief: Brief) -> None:
    words = len(brief.to_markdown().split())
    assert words <= WORD_BUDGET, f"{words} words: the brief no longer fits one page"
    for section in brief.sections:  # no paragraph runs on: a memo's paragraphs
        assert all(len(p.split()) <= 130 for p in section.paragraphs), section.heading


def test_the_brief_answers_from_its_inputs_alone(inputs: BriefInputs, brief: Brief,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Compose runs no analysis: the report hands over its own results (report/html.py).
    import importlib

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compose_brief ran an analysis")

    for module, name in (("detente.forecast", "forecast"), ("detente.settlement", "settle"),
                         ("detente.settlement.contributions", "contributions"),
                         ("detente.uncertainty", "sample")):
        monkeypatch.setattr(importlib.import_module(module), name, refuse)
    assert compose_brief(inputs) == brief


def test_anchor_steps_count_the_anchors_passed() -> None:
    nuc = detente.load("korea-2017").issue("NUC")   # anchors 0 20 35 50 65 85 100
    assert anchor_steps(nuc, 85, 50) == 2           # past 65, to 50
    assert anchor_steps(nuc, 85, 80) == 0
    assert anchor_steps(nuc, 20, 50) == 2           # past 35, to 50


def test_markdown_and_html(brief: Brief) -> None:
    md = brief.to_markdown()
    assert md.startswith(f"# {brief.title}")
    page = brief.to_html()
    assert "<abbr title=" in page and "utility points" in page
    assert "<script" not in page and "http" not in page.split("</style>")[0]


def test_cli_brief_formats_and_pdf(tmp_path: Path) -> None:
    runner = CliRunner()
    md = runner.invoke(app, ["brief", "--step", "25", "--samples", "50", "-f", "markdown"])
    assert md.exit_code == 0, md.output
    assert "## Bottom line" in md.output
    target = tmp_path / "brief.pdf"
    if find_chromium() is None:
        refused = runner.invoke(app, ["brief", "--step", "25", "--samples", "50",
                                      "--pdf", str(target)])
        assert refused.exit_code == 2 and "chromium" in refused.output
        pytest.skip("chromium is not installed: --pdf refuses with its message (checked)")
    done = runner.invoke(app, ["brief", "--step", "25", "--samples", "50", "--pdf",
                               str(target), "-q"])
    assert done.exit_code == 0, done.output
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF")
    # One A4 page: chromium writes the page tree's count uncompressed.
    assert re.findall(rb"/Count (\d+)", pdf) == [b"1"]
    assert pdf_pages(pdf) == 1
    # The file is the output: one line, and the brief is not printed.
    assert re.fullmatch(rf"wrote {re.escape(str(target))} \(1 page, \d+ KiB\)\n",
                        done.stdout), done.stdout
    again = runner.invoke(app, ["brief", "--step", "25", "--samples", "50", "--pdf",
                                str(target)])
    assert again.exit_code == 2  # never over a file the user has
    assert "already exists" in again.stderr and "--force" not in again.stderr  # it has none


#: A two-page PDF as chromium lays out its objects (the page tree, then each page).
FAKE_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 /Kids [2 0 R 3 0 R] >> endobj\n"
            b"2 0 obj << /Type /Page /Parent 1 0 R >> endobj\n"
            b"3 0 obj <</Type/Page/Parent 1 0 R>> endobj\n%%EOF\n")


def test_pdf_pages_counts_page_objects_not_the_tree() -> None:
    assert pdf_pages(FAKE_PDF) == 2
    assert pdf_pages(b"%PDF-1.7 compressed object streams only") is None


def test_cli_brief_pdf_prints_one_line_not_the_brief(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # The writer stubbed (no chromium needed): what the terminal shows is the CLI's part.
    import detente.brief as brief_module

    monkeypatch.setattr(brief_module, "require_chromium", lambda: "chromium")
    monkeypatch.setattr(brief_module, "pdf_bytes", lambda page, timeout=120.0: FAKE_PDF)
    runner = CliRunner()
    target = tmp_path / "b [1].pdf"   # rich markup in a name is printed as written
    done = runner.invoke(app, ["brief", "--step", "50", "--samples", "10", "-q",
                               "--pdf", str(target)])
    assert done.exit_code == 0, done.output
    assert done.stdout == f"wrote {target} (2 pages, 1 KiB)\n"
    assert done.stderr == ""
    assert target.read_bytes() == FAKE_PDF
    # Given --format as well, the result takes stdout and the line goes to stderr.
    also = tmp_path / "also.pdf"
    both = runner.invoke(app, ["brief", "--step", "50", "--samples", "10", "-q",
                               "--pdf", str(also), "-f", "markdown"])
    assert both.exit_code == 0, both.output
    assert both.stdout.startswith("# ") and "wrote" not in both.stdout
    assert both.stderr == f"wrote {also} (2 pages, 1 KiB)\n"
    # Never over a file the user has, and no advice to use a --force brief does not have.
    again = runner.invoke(app, ["brief", "-q", "--pdf", str(also)])
    assert again.exit_code == 2 and again.stdout == ""
    assert "already exists" in again.stderr and "--force" not in again.stderr
    assert "Traceback" not in again.output and also.read_bytes() == FAKE_PDF


def test_cli_brief_pdf_without_chromium_refuses_before_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import detente.brief as brief_module

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the brief ran although the PDF cannot be written")

    monkeypatch.setattr(brief_module, "find_chromium", lambda: None)
    monkeypatch.setattr(brief_module, "make_brief", no_run)
    target = tmp_path / "brief.pdf"
    refused = CliRunner().invoke(app, ["brief", "-q", "--pdf", str(target)])
    assert refused.exit_code == 2, refused.output
    assert refused.stdout == ""
    assert "--pdf" in refused.stderr and "apt-get install chromium" in refused.stderr
    assert "Traceback" not in refused.output and not target.exists()


def test_glossary_hover_titles_wrap_each_term_once_and_escape() -> None:
    from detente.glossary import GLOSSARY, with_terms
    from detente.render import view_html
    from detente.view import View, table

    page = with_terms("The Shapley value of a guarantor, and a guarantor <script>")
    assert page.count("<abbr") == 2          # first use of each term only
    assert "<script>" not in page and "&lt;script&gt;" in page
    # No term is wrapped inside another's title (the Shapley definition says 'guarantor').
    assert not re.search(r'title="[^"]*<abbr', page)
    html_table = view_html(View("t", tables=(table("x", ["max-min", "Nash product"], [[1, 2]]),)))
    assert html_table.count("<abbr") == 2
    assert GLOSSARY["max-min"] in html_table
    # Every short definition has its long form in docs/glossary.md.
    long_form = (Path(__file__).resolve().parents[1] / "docs" / "glossary.md").read_text()
    for term in GLOSSARY:
        assert term.lower().split()[0] in long_form.lower(), term


def test_a_one_issue_scenario_reads_in_the_singular() -> None:
    """The sentences count and agree on any scenario: one issue, one deal in the zone, one
    actor with a walk-away point (the hand case of tests/test_numbers_shown.py)."""
    from tests.settle_helpers import one_issue_walk_away

    text = _text(make_brief(one_issue_walk_away(), samples=20))
    assert not re.search(r"\b1 (issues|deals|actors)\b", text), text
    assert "1 deal leaves" in text and "a +24.0 (60%)" in text
    assert re.search(r"The 3 models \([^)]+\) spread over", text) and "least on x" not in text
    assert "walk-away point or else the status quo" in text  # only A states one


def test_agreeing_models_are_said_to_agree_and_the_runs_actors_counted() -> None:
    # examples/my.yaml without UP, MID and DELTA: one actor left, every model forecasts its
    # positions. The brief said "the models disagree most on FUND (a spread of 0% of its
    # scale)" and "judgments about 4 actors".
    from detente.variation import Variation

    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    brief = make_brief(str(example), Variation(without=("UP", "MID", "DELTA")),
                       step="50%", samples=20)
    text = " ".join(p for section in brief.sections for p in section.paragraphs)
    assert "disagree" not in text and re.search(r"The 3 models \([^)]+\) agree on ", text)
    assert "judgments about 1 actor on 2 issues" in text
    # Korea's models disagree on most issues and agree on the US-China linkage.
    korea = " ".join(p for section in make_brief("korea-2017", **FAST).sections
                     for p in section.paragraphs)
    assert "disagree most on" in korea and "and agree on US-China linkage." in korea
    assert "judgments about 6 actors" in korea


def _river(**issue_options: list[float]) -> Scenario:
    """examples/my.yaml (two issues, a zone of agreement), each issue named listing
    those options."""
    import yaml

    raw = yaml.safe_load((Path(__file__).resolve().parents[1] / "examples" / "my.yaml")
                         .read_text(encoding="utf-8"))
    for issue in raw["issues"]:
        if issue["id"] in issue_options:
            issue["options"] = issue_options[issue["id"]]
    return detente.scenario_from_mapping(raw, "my.yaml")


def test_where_every_issue_lists_options_the_brief_names_no_grid() -> None:
    """With every issue's options listed no grid applies: the brief said "on the search
    grid" and "on this grid" all the same; it says what was searched, as settle's header."""
    listed = _text(make_brief(_river(FLOW=[0, 6, 10, 12, 20], FUND=[0, 20, 50, 100]),
                              samples=20))
    assert "grid" not in listed and "--step" not in listed, listed
    assert re.search(r"With the issues' listed options, \d+ deals leave every veto", listed)
    gridded = _text(make_brief(_river(FLOW=[0, 6, 10, 12, 20]), samples=20))
    assert "With grid step 10 units (FLOW: listed options), " in gridded, gridded


def test_where_nobody_must_agree_the_brief_leaves_out_the_deals_and_says_why(
        tmp_path: Path) -> None:
    """Settle refuses a scenario in which nobody holds a veto; the brief was refused whole
    (exit 2) and settle's refusal read `<input>: veto`. The brief keeps its forecasts and
    says in one sentence why no deal is searched; settle's refusal names the file."""
    import yaml

    raw = yaml.safe_load((Path(__file__).resolve().parents[1] / "examples" / "my.yaml")
                         .read_text(encoding="utf-8"))
    for actor in raw["actors"]:
        actor["veto"] = False
    path = tmp_path / "noveto.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    runner = CliRunner()
    brief = runner.invoke(app, ["brief", str(path), "--samples", "20", "-f", "markdown"])
    assert brief.exit_code == 0, brief.output
    assert ("## Deals and guarantors\n\nNo deal is searched and no guarantor weighed: no "
            "actor holds a veto and cares about any issue, so every package is acceptable "
            "and there is nothing to settle.\n") in brief.output
    for heading in ("Bottom line", "Where bargaining is likely to land", "How sure we are",
                    "Caveats"):
        assert f"## {heading}" in brief.output
    assert "veto player" not in brief.output and "Deals are searched" not in brief.output
    settled = runner.invoke(app, ["settle", str(path)])
    assert settled.exit_code == 2
    assert f"error: {path}: actors: baseline: no actor holds a veto" in settled.output
    # No counterfactual was given: the fix names none (it said "drop the --without").
    assert "--without" not in settled.output, settled.output
    example = str(Path(__file__).resolve().parents[1] / "examples" / "my.yaml")
    emptied = runner.invoke(app, ["settle", example, "--without", "UP",
                                  "--without", "MID", "--without", "DOWN"])
    assert emptied.exit_code == 2 and "a --without that removes the last" in emptied.output


def _tabled_off_grid() -> Scenario:
    """Two actors who both gain from A moving 50 → 55, a value between the step-10 grid's
    50 and 60 (60 overshoots X's 55 by more than the status quo falls short), and the named
    package P that takes it: P passes while the grid's zone is empty."""
    return detente.scenario_from_mapping({
        "id": "offgrid", "title": "offgrid",
        "issues": [{"id": "A", "name": "A", "scale": {"low": 0, "high": 100},
                    "status_quo": 50}],
        "actors": [{"id": "X", "name": "X", "capability": 1},
                   {"id": "Y", "name": "Y", "capability": 1}],
        "stances": {"X": {"A": {"position": 55, "salience": 0.5}},
                    "Y": {"A": {"position": 56, "salience": 1}}},
        "packages": [{"id": "P", "name": "P", "values": {"A": 55}}],
    }, "offgrid.yaml")


def test_an_empty_grid_zone_beside_a_passing_proposal_is_not_said_to_need_a_loss() -> None:
    """The bottom line said "no deal leaves every veto player better off than today: a
    settlement needs someone to accept a loss. Of the proposals on the table, P can pass as
    written", and the best-deal section "there is no zone of agreement", about a page that
    shows P every veto player gains from. The empty zone is the grid's; P is a deal."""
    from types import SimpleNamespace

    from detente.report.html import settlement_reading, zones_reading

    scenario = _tabled_off_grid()
    settled = detente.settle(scenario, step=10.0)
    assert not settled.baseline.zone_exists  # the case: the grid misses P's 55
    assert [p.acceptable for p in settled.baseline.packages] == [True]
    text = _text(make_brief(scenario, step=10.0, samples=20))
    assert "accept a loss" not in text and "there is no zone of agreement" not in text, text
    assert ("no package on the search's grid leaves every veto player better off than "
            "today, but P, on the table, can pass as written.") in text, text
    assert "None of the" not in text
    analysis = SimpleNamespace(settled=settled, deal=settled.baseline, scenario=scenario)
    for reading in (settlement_reading(analysis), zones_reading(analysis)):  # type: ignore[arg-type]
        assert "no package on the search's grid satisfies every party" in reading.lower(), \
            reading
