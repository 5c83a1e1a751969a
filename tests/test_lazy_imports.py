"""`import detente` and `detente forecast` load no plotting, web or sampling library: each
is imported only by the commands that use it (issue 15, item 5). Checked in a fresh
interpreter, since this test process has long imported everything."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import detente

#: Libraries a forecast never needs: plotting, HTML templates, the web server, and the
#: sampling and MILP parts of scipy.
NOT_FOR_FORECAST = ("matplotlib", "jinja2", "fastapi", "uvicorn", "starlette", "scipy",
                    "dask", "distributed")

#: Parts of detente a forecast never runs: the package search (the options of every
#: analysis read only :mod:`detente.settlement.defaults`), sampling, roadmaps, the report;
#: and numpy's masked arrays (``np.unique`` loads them, ~10 ms of a cold start).
NOT_FOR_FORECAST_HERE = ("detente.settlement.search", "detente.settlement.api",
                         "detente.settlement.problem", "detente.settlement.utility",
                         "detente.uncertainty", "detente.roadmaps", "detente.report",
                         "detente.brief", "numpy.ma")

_LOADED = (
    "import json, sys\n"
    f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & {set(NOT_FOR_FORECAST)!r})\n"
    f"heavy += sorted({{'.'.join(m.split('.')[:3]) for m in sys.modules}}"
    f" & {set(NOT_FOR_FORECAST_HERE)!r})\n"
    "sys.stderr.write('LOADED=' + json.dumps(heavy) + '\\n')\n"
)


def _run(code: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    done = subprocess.run([sys.executable, "-c", code + _LOADED], capture_output=True,
                          text=True, timeout=120)
    line = next((x for x in done.stderr.splitlines() if x.startswith("LOADED=")), None)
    assert line is not None, done.stderr
    return done, json.loads(line.removeprefix("LOADED="))


def test_import_detente_loads_no_heavy_library() -> None:
    _, loaded = _run("import detente\n")
    assert loaded == []


def _forecast(*flags: str) -> list[str]:
    code = ("import sys\n"
            f"sys.argv = ['detente', 'forecast', '--format', 'json', *{list(flags)!r}]\n"
            "from detente.cli import main\n"
            "try:\n    main()\nexcept SystemExit as err:\n"
            "    assert not err.code, err.code\n")
    done, loaded = _run(code)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # the forecast itself ran
    assert result["scenario"] == "korea-2017"
    return loaded


def test_detente_forecast_loads_nothing_heavy() -> None:
    # The default forecast also forms the combined forecast, whose models include the
    # constrained compromise: on korea-2017 its dual solver certifies the answer with numpy
    # alone, so scipy (SLSQP, 0.35 s of a cold start) stays unloaded too.
    assert _forecast() == []


def test_detente_forecast_of_the_standard_models_loads_nothing_heavy() -> None:
    assert _forecast("--no-combined") == []


def test_the_check_would_see_a_plotting_library() -> None:
    # the probe above can fail: drawing a figure does load matplotlib
    _, loaded = _run("from detente.report.kinds import KINDS, Analysis, draw\n"
                     "draw('issue-map', Analysis.of('korea-2017', models=['compromise']))\n")
    assert "matplotlib" in loaded


def test_the_check_would_see_the_package_search() -> None:
    # ... and settling does load the search
    _, loaded = _run("import detente\ndetente.settle('korea-2017', step=50)\n")
    assert {"detente.settlement.search", "detente.settlement.api"} <= set(loaded)


def test_lazy_names_resolve_to_their_modules() -> None:
    from detente.settlement import settle
    from detente.uncertainty import sample

    assert detente.settle is settle and detente.sample is sample
    assert set(detente.__all__) <= set(dir(detente))
    # every public name resolves (the module table and __all__ agree)
    assert all(getattr(detente, name) is not None for name in detente.__all__)
    with pytest.raises(AttributeError, match="no_such_name"):
        detente.no_such_name  # noqa: B018


def test_public_function_keeps_its_name_after_its_submodule_is_imported() -> None:
    done, _ = _run("import detente, detente.forecast\n"
                   "assert callable(detente.forecast) and not isinstance(detente.forecast, "
                   "type(detente)), detente.forecast\n")
    assert done.returncode == 0, done.stderr
