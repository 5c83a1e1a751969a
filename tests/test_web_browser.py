"""End to end in headless Chromium: load korea-2017, edit it in the tables, run, see change.

Needs Debian's ``chromium`` (``apt-get install chromium``; ``scripts/test.sh`` installs it)
and the Python ``playwright`` package, which drives that browser (no browser download).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser_helpers import chromium, require_chromium, serving
from tests.web_held import offering_held

require_chromium()
pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
pytest.importorskip("uvicorn", reason="the web extra (uvicorn) is not installed")

from detente.web.app import create_app  # noqa: E402

READY_TO_RUN = "!document.querySelector('td.bad') && !document.querySelector('#run').disabled"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the ``held`` analysis's gates (see tests/web_held.py)."""
    return tmp_path_factory.mktemp("gates")


@pytest.fixture(scope="module")
def server(gate: Path) -> Iterator[str]:
    # ``held`` stays in the registry while this module's tests run: its page offers it.
    with offering_held(gate) as worker, serving(
            create_app("korea-2017", allowed_hosts=["127.0.0.1"], worker=worker),
            "the workbench") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def best_package(page: object) -> list[list[str]]:
    return page.eval_on_selector("#result .view", """(view) => {
        const t = [...view.querySelectorAll('h3')].find(h => h.textContent.startsWith('Best'));
        return [...t.nextElementSibling.querySelectorAll('tbody tr')]
            .map(tr => [...tr.children].map(td => td.textContent)); }""")


def ready_page(browser: Any, server: str) -> tuple[Any, Any, list[str]]:
    """A page of the workbench, loaded (CSP bypassed: wait_for_function evaluates script),
    and the script errors it raises."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    return context, page, errors


def run_and_wait(page: object, count: int) -> None:
    page.click("#run")
    page.wait_for_function(f"document.querySelectorAll('#runs li').length === {count}",
                           timeout=120_000)


def test_edit_trust_run_settle_and_compare(server: str, browser: object) -> None:
    # wait_for_function evaluates script text, which the page's CSP forbids: bypass it here
    # (the download test below runs with the CSP in force).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    assert "korea-2017" in page.text_content("#status")

    # A bad value shows the loader's message next to the cell, and blocks running.
    page.click("[data-tab=trust]")
    cell = page.locator('[data-loc="trust.KP.RU"]')
    before_trust = cell.input_value()
    cell.fill("1.7")
    page.wait_for_selector("td.bad .msg", timeout=10_000)
    assert "trust 1.7 is outside 0-1" in page.text_content("td.bad .msg")
    assert page.is_disabled("#run")

    # A good value clears it. Run the settlement analysis on korea-2017 as it is, then
    # with KP's trust in RU lowered in the trust table.
    cell.fill(before_trust)
    page.wait_for_function(READY_TO_RUN)
    page.select_option("#analysis", "settle")
    run_and_wait(page, 1)
    baseline = best_package(page)

    cell.fill("0.05")
    page.wait_for_function(READY_TO_RUN)
    run_and_wait(page, 2)
    edited = best_package(page)
    assert edited != baseline, "KP's trust in RU changes the best package"

    # Compare the two runs side by side: the changed cells are marked.
    page.check("#runs li:nth-child(1) input")
    page.check("#runs li:nth-child(2) input")
    page.wait_for_selector("#compare .pair")
    assert page.locator("#compare td.changed").count() >= 2

    # A counterfactual, in the field drawn for --without: settle reports the baseline and
    # "without RU" side by side.
    page.click("#counterfactual summary")
    page.fill('[data-loc="counterfactual.without"]', "RU")
    run_and_wait(page, 3)
    columns = page.eval_on_selector("#result .view", """(view) => {
        const t = [...view.querySelectorAll('h3')].find(h => h.textContent.startsWith('Best'));
        return [...t.nextElementSibling.querySelectorAll('thead th')].map(th => th.textContent);
        }""")
    # Issue, Units, Status quo, then one column per variant.
    assert columns[3] == "baseline" and "RU" in columns[4], columns
    assert "without RU" in page.text_content("#result .view .cf")

    # Every flag has its field, on any analysis: a forecast with CN's position moved names
    # the change and shows its forecast table.
    page.select_option("#analysis", "forecast")
    page.fill('[data-loc="counterfactual.position"]', "CN.NUC=40")
    page.fill('[data-loc="counterfactual.capability"]', "US=60")
    run_and_wait(page, 4)
    assert page.text_content("#result .view .cf").endswith(
        "without RU; capability US=60; position CN.NUC=40")
    assert page.locator("#result .view table").count() >= 1

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "workbench-laptop.png"), full_page=True)
    page.set_viewport_size({"width": 800, "height": 1100})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "workbench-tablet.png"), full_page=False)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 800, "no horizontal page scroll on a tablet (tables scroll inside)"
    assert not errors, errors
    context.close()


def test_counterfactual_fields_are_drawn_from_the_flags_declaration(
        server: str, browser: object) -> None:
    from detente import VARIATION_FLAGS

    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    fields = page.eval_on_selector_all('[data-loc^="counterfactual."]', """(inputs) =>
        inputs.map((i) => [i.dataset.loc, i.placeholder, i.closest('label').title])""")
    assert fields == [[f"counterfactual.{flag[2:]}", f"e.g. {declared.example}",
                       declared.help] for flag, declared in VARIATION_FLAGS.items()]
    assert page.text_content("#cf-ids") == ("Actors: US CN RU KP KR JP. Institutions: IAEA. "
                                            "Issues: NUC MSL SANC SEC VER ALL NORM LINK.")

    # Trust and a guarantor list (its commas stay inside the entry), two entries of one
    # flag separated by a comma: the result names every change.
    page.click("#counterfactual summary")
    page.select_option("#analysis", "forecast")
    page.fill('[data-loc="counterfactual.trust"]', "KP.RU=0.8")
    page.fill('[data-loc="counterfactual.guarantor"]', "NUC=CN,RU SANC=none")
    page.fill('[data-loc="counterfactual.salience"]', "KP.SANC=0.9, CN.NUC=0.5")
    run_and_wait(page, 1)
    assert page.text_content("#result .view .cf") == (
        "Counterfactual: salience KP.SANC=0.9; salience CN.NUC=0.5; trust KP.RU=0.8; "
        "NUC guaranteed by CN,RU; SANC guaranteed by nobody")

    # A bad entry: the parser's problem is shown at its field and in the run message.
    page.fill('[data-loc="counterfactual.trust"]', "KP.XX=0.8")
    page.click("#run")
    page.wait_for_selector('[data-loc="counterfactual.trust"][aria-invalid=true]')
    assert "unknown" in page.text_content('label:has([data-loc="counterfactual.trust"]) .msg')
    assert "counterfactual.trust" in page.text_content("#run-message")
    assert page.locator('label:has([data-loc="counterfactual.salience"]) .msg').count() == 0
    assert page.locator("#runs li").count() == 1
    context.close()


def test_run_problems_are_marked_at_their_own_fields(server: str, browser: Any) -> None:
    # The spec's problems at params.NAME: an option of the analysis's own at its field, the
    # models at the models' group; a run that starts clears the marks.
    context, page, errors = ready_page(browser, server)
    page.select_option("#analysis", "settle")
    page.fill('[data-param="step"]', "abc")
    page.click("#run")
    page.wait_for_selector('[data-loc="params.step"][aria-invalid=true]')
    assert "finite number" in page.text_content('label:has([data-loc="params.step"]) .msg')
    assert page.locator("#run-form [aria-invalid=true]").count() == 1
    page.fill('[data-param="step"]', "10")
    page.select_option("#analysis", "forecast")
    for box in page.locator("#models input").all():
        box.uncheck()
    page.click("#run")
    page.wait_for_selector("#models[aria-invalid=true]")
    assert "no model" in page.text_content("#models .msg")
    page.check("#models input >> nth=0")
    run_and_wait(page, 1)
    assert page.locator("#run-form [aria-invalid], #run-form .msg").count() == 0
    assert not errors, errors
    context.close()


def test_a_model_problem_goes_to_the_field_that_holds_the_model(server: str, browser: Any
                                                                ) -> None:
    # Shared models (forecast): the models' group; one model of the analysis's own (sample):
    # its own field, never the disabled group above it.
    context, page, errors = ready_page(browser, server)
    for name, holder in (("forecast", "#models"), ("sample", '#params [data-param="model"]')):
        page.select_option("#analysis", name)
        places = page.locator('#run-form [data-loc="params.model"]')
        assert places.count() == 1, name
        assert places.evaluate("(node, css) => node.matches(css)", holder), name
    assert not errors, errors
    context.close()


def test_each_analysis_shows_its_own_defaults(server: str, browser: Any) -> None:
    # The fields are drawn afresh for each analysis: the samples shown for sample (1000)
    # used to stay when sensitivity (512) was chosen, and ran as if typed.
    from detente import ANALYSES

    context, page, errors = ready_page(browser, server)
    for name in ("sample", "sensitivity", "brief"):
        page.select_option("#analysis", name)
        default = ANALYSES[name].option("samples").default
        assert page.input_value('[data-param="samples"]') == str(default), name
    assert not errors, errors
    context.close()


def test_the_runs_ticked_stay_ticked_when_a_run_is_added(server: str, browser: Any) -> None:
    # The runs list used to be drawn again for each new run: the ticks went, the comparison
    # of the two ticked runs stayed.
    context, page, errors = ready_page(browser, server)
    page.select_option("#analysis", "forecast")
    run_and_wait(page, 1)
    run_and_wait(page, 2)
    page.check("#runs li:nth-child(1) input")
    page.check("#runs li:nth-child(2) input")
    page.wait_for_selector("#compare .pair")
    run_and_wait(page, 3)
    assert page.locator("#runs input:checked").count() == 2
    assert page.locator("#compare .pair").count() == 1
    assert not errors, errors
    context.close()


def test_the_page_sends_models_and_seed_only_where_the_analysis_uses_them(
        server: str, browser: object) -> None:
    # Every analysis the page offers: the request it would send is accepted by the API's
    # own reading (nothing run), with the ticked models in params.model and the seed in
    # params.seed exactly where the shared controls fill them.
    from detente.web.analyses import available_analyses, public, read_request

    offered = available_analyses()
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    names = page.eval_on_selector_all("#analysis option", "(os) => os.map((o) => o.value)")
    assert set(names) == set(offered)
    ticked = page.eval_on_selector_all("#models input:checked", "(ms) => ms.map((m) => m.value)")
    assert ticked
    for name in names:
        page.select_option("#analysis", name)
        request = page.evaluate("runRequest()")
        shared = public(offered[name])["shared"]
        assert not {"models", "seed", "options"} & set(request), name
        assert (request["params"].get("model") == ticked) == ("model" in shared), name
        assert ("seed" in request["params"]) == ("seed" in shared), name
        read_request(offered[name], request)  # refused: OptionError
    context.close()


def test_download_yaml_has_the_edit(server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(accept_downloads=True)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.click("[data-tab=trust]")
    page.locator('[data-loc="trust.KP.RU"]').fill("0.33")
    page.wait_for_selector("#status:text-matches('^valid')", timeout=10_000)
    with page.expect_download() as info:
        page.click("#download-yaml")
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    import detente

    assert detente.load(target).trust["KP"]["RU"].value == 0.33
    assert not [m for m in console if "Content Security Policy" in m], console
    page.close()


def held(browser: Any, server: str, gate_name: str) -> tuple[Any, Any]:
    """A page (CSP bypassed: wait_for_function evaluates script) that has started the
    ``held`` analysis, which waits for the gate file ``gate_name``."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.select_option("#analysis", "held")
    page.fill('[data-param="gate"]', gate_name)
    page.click("#run")
    return context, page


def test_long_analysis_shows_progress_and_cancels(server: str, browser: object) -> None:
    # The held analysis reports progress, then waits for a gate file that never appears:
    # the job is certainly still running when the test clicks cancel.
    context, page = held(browser, server, "never")
    page.wait_for_selector("#cancel:visible")
    page.wait_for_function("document.querySelector('#progress').value > 0", timeout=120_000)
    assert "1 of 2" in page.text_content("#run-message")
    page.click("#cancel")
    page.wait_for_selector("#run-message:text-matches('^cancelled')")
    assert page.is_hidden("#progress") and page.is_hidden("#cancel")
    assert page.locator("#runs li").count() == 0
    context.close()


def test_a_held_job_finishes_when_its_gate_opens(server: str, browser: object,
                                                 gate: Path) -> None:
    # The page's own requests carry its Origin: the same-origin check lets them through.
    context, page = held(browser, server, "open1")
    page.wait_for_function("document.querySelector('#progress').value > 0", timeout=120_000)
    (gate / "open1").touch()
    page.wait_for_selector("#runs li", timeout=120_000)
    assert page.locator("#runs li").count() == 1
    context.close()


def header_titles(page: Any) -> dict[str, str]:
    pairs = page.eval_on_selector_all(
        "#table-area thead th", "ths => ths.map(th => [th.textContent, th.title])")
    return dict(pairs)


def checked_status(page: Any) -> str:
    """The status and the problems once the latest edit is checked (the page marks the
    status ``aria-busy`` until then)."""
    page.wait_for_selector("#status:not([aria-busy])", state="attached", timeout=10_000)
    return str(page.text_content("#status")) + " " + str(page.text_content("#problems"))


def rename(page: Any, tab: str, old_id: str, new_id: str) -> str:
    """Renames an item in its tab's id cell (the rename happens when the cell is left)."""
    page.click(f"[data-tab={tab}]")
    cell = page.locator(f'[data-loc="{tab}.{old_id}.id"]')
    cell.fill(new_id)
    cell.press("Tab")
    return checked_status(page)


def test_tables_are_drawn_from_the_format_and_ids_follow_renames(server: str,
                                                                 browser: Any) -> None:
    # korea-2017 uses its issue NUC in stances, packages, a roadmap, a link, a rule and VER's
    # verification, and its actor RU in trust, guarantees, stakes and verifier bands: a rename
    # or removal that misses one of those leaves the scenario invalid.
    import detente

    declared = detente.json_schema()["$defs"]
    context, page, errors = ready_page(browser, server)

    # Each column's header carries the format's own description of its field.
    page.click("[data-tab=actors]")
    titles = header_titles(page)
    for field in ("capability", "veto"):
        assert titles[field] == declared["Actor"]["properties"][field]["description"], titles
    assert page.get_attribute('[data-loc="actors.RU.capability"]', "inputmode") == "decimal"
    page.click("[data-tab=issues]")
    titles = header_titles(page)
    assert titles["status quo"] == declared["Issue"]["properties"]["status_quo"]["description"]
    assert {"scale low", "scale high", "guarantors", "options"} <= set(titles), titles
    # A number's note is its cell's tooltip; a problem with the scale as a whole (named by
    # the issue's index) marks the scale's first cell.
    note = detente.load("korea-2017").issue("NUC").status_quo.note
    assert page.get_attribute('[data-loc="issues.NUC.status_quo"]', "title") == note
    page.locator('[data-loc="issues.NUC.scale.low"]').fill("200")
    page.wait_for_selector('td.bad [data-loc="issues.NUC.scale.low"]', timeout=10_000)
    assert "low (200) must be below high (100)" in str(page.text_content("td.bad .msg"))
    page.locator('[data-loc="issues.NUC.scale.low"]').fill("")
    assert checked_status(page).startswith("valid")

    page.click("[data-tab=positions]")
    position = page.locator('[data-loc="stances.KP.NUC.position"]').input_value()
    status = rename(page, "issues", "NUC", "NUK")
    assert status.startswith("valid"), status
    page.click("[data-tab=positions]")
    assert page.locator('[data-loc="stances.KP.NUK.position"]').input_value() == position
    assert page.locator('[data-loc^="stances.KP.NUC"]').count() == 0
    page.click("[data-tab=packages]")
    assert page.locator('[data-loc="packages.P0.values.NUK"]').input_value() == "85"

    status = rename(page, "institutions", "IAEA", "AEA")
    assert status.startswith("valid"), status
    page.click("[data-tab=trust]")
    assert page.locator('[data-loc="trust.US.AEA"]').count() == 1

    page.click("[data-tab=actors]")
    page.click('button[aria-label="remove actors.RU"]')
    status = checked_status(page)
    assert status.startswith("valid") and ": 5 actors" in status, status
    page.click("[data-tab=trust]")
    assert page.locator('[data-loc^="trust.RU."], [data-loc$=".RU"]').count() == 0
    assert page.locator('[data-loc="trust.KP.CN"]').count() == 1
    assert not errors, errors
    context.close()


def test_renaming_onto_an_id_in_use_merges_nothing(server: str, browser: Any) -> None:
    # Renaming US to CN used to move US's stances, trust and stakes onto CN's, overwriting
    # them: renaming back could not restore either actor.
    context, page, errors = ready_page(browser, server)
    both = "() => JSON.stringify([state.scenario.stances.US, state.scenario.stances.CN])"
    before = page.evaluate(both)
    status = rename(page, "actors", "US", "CN")
    assert not status.startswith("valid"), status  # the validation names the duplicate
    assert page.evaluate(both) == before
    assert not errors, errors
    context.close()


def test_the_figure_entry_draws_a_figure(server: str, browser: object) -> None:
    # The page's Figure is the registry's plot: its kind is a field from /api/info, and the
    # PNG comes back in the result's data (data.figures), shown under the run's label.
    context, page, errors = ready_page(browser, server)
    page.select_option("#analysis", "plot")
    page.select_option('[data-param="kind"]', "comparison")
    page.fill('[data-param="dpi"]', "30")
    run_and_wait(page, 1)
    image = page.locator("#result figure img")
    assert image.get_attribute("src").startswith("data:image/png;base64,iVBOR")
    assert page.text_content("#result figcaption") == \
        "The forecasts of all models side by side"
    assert errors == []
    context.close()


def test_a_new_issue_starts_in_the_middle_of_the_formats_default_scale(server: str,
                                                                        browser: Any) -> None:
    # The page seeded a new issue's status quo with 50, its own copy of the middle of the
    # format's default scale (0 to 100): had the format's default changed, every new issue
    # would have started outside its scale. The page is served a schema whose default scale
    # is 0 to 1.
    import detente

    schema = detente.json_schema()
    schema["$defs"]["Issue"]["properties"]["scale"]["default"] = {"low": 0.0, "high": 1.0}
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.route("**/api/schema", lambda route: route.fulfill(json=schema))
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.click("[data-tab=issues]")
    page.click("text=Add issue")
    assert page.evaluate("state.scenario.issues.at(-1).status_quo") == 0.5
    context.close()
