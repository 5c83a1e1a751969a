"""The workbench's JSON API and its one static page (``detente serve``).

The page uses only this API, so a script can do everything the page does; the OpenAPI
schema is at ``/openapi.json``. The app reads no file except the embedded scenarios and its
own static assets; uploads arrive as text in a JSON body and are parsed by the same loader
as the command line, so the messages are the same.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, create_model

import detente
from detente import (
    DEFAULT_MODELS,
    DEFAULT_SCENARIO,
    RAISE_UPLOAD,
    REGISTRY,
    VARIATION_FLAGS,
    DetenteError,
    Guards,
    Problem,
    RequestBody,
    Scenario,
    ScenarioError,
    ServerLimits,
    embedded_file,
    embedded_index,
    install_guards,
    load_embedded,
)
from detente.web.analyses import available_analyses, public, read_request
from detente.web.jobs import WORKER, Job, JobManager, JobStatus

STATIC_DIR = Path(str(resources.files("detente.web") / "static"))

GUARDS = Guards(
    csp=("default-src 'self'; img-src 'self' data: blob:; script-src 'self'; "
         "style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
         "frame-ancestors 'none'; form-action 'none'"),
    own_page="the workbench's own page",
    origin_refused="cross-origin request refused: Origin {origin!r} is not this workbench",
    failure_detail="the server failed on this request (the server log has the details)",
    failure_fix="check the request's values; if it persists, report it with the scenario",
    log=logging.getLogger("detente.web"),
    too_large="the request is larger than {kib} KiB, the most this workbench accepts",
    too_large_fix=f"upload a smaller scenario, or {RAISE_UPLOAD}")


# Request and response bodies: they make the OpenAPI schema.
ScenarioMapping = dict[str, Any]
OptionValue = str | int | float | bool | None


class ScenarioBody(RequestBody):
    scenario: ScenarioMapping = Field(description="A scenario in the file format, as JSON.")


class UploadBody(RequestBody):
    filename: str = Field(max_length=255, description="Its name: the suffix picks the reader "
                          "(.yaml, .yml, .json, .csv).")
    text: str = Field(description="The file's text (UTF-8).")


#: The counterfactual flags as /api/info publishes them (the page draws one field per flag)
#: and the request model takes them: each as declared once (detente.variation).
COUNTERFACTUAL_FLAGS = [{"name": flag[2:], "flag": flag, **asdict(declared)}
                        for flag, declared in VARIATION_FLAGS.items()]
Counterfactual = create_model(
    "Counterfactual", __base__=RequestBody, __doc__="The counterfactual of one run, in the "
    "command line's spelling: one list per flag, e.g. {\"without\": [\"RU\"]}.",
    **{f["name"]: (list[str], Field(default=[], max_length=f["most"], description=f["help"]))
       for f in COUNTERFACTUAL_FLAGS})


class AnalysisRequest(RequestBody):
    # Also answers clients still sending the retired fields models, options and seed.
    unknown_field_fix = ("a run request has {fields}; every option goes in params, named as "
                         "/api/info lists it (e.g. params.model, params.option, params.seed)")
    scenario: ScenarioMapping
    counterfactual: Counterfactual | None = None  # type: ignore[valid-type]
    params: dict[str, OptionValue | list[str]] = Field(
        default={}, description="The analysis's options, named and spelled as the command "
                                "line has them and as /api/info lists them for the analysis "
                                "(e.g. model, option, seed, samples); an option it lacks is "
                                "refused, at params.NAME.")


class JobRequest(AnalysisRequest):
    analysis: str = Field(description="One of the analyses listed by /api/info.")


class Validation(BaseModel):
    ok: bool
    problems: list[Problem]
    summary: str = ""


class ScenarioOut(BaseModel):
    scenario: ScenarioMapping
    summary: str
    source: str


def _summary(s: Scenario) -> str:
    return f"{s.title}: {s.size_text()}"


def _scenario_out(s: Scenario, source: str) -> dict[str, Any]:
    return {"scenario": s.to_dict(), "summary": _summary(s), "source": source}


class JobOut(BaseModel):
    # A job as a client sees it: read from the Job's attributes of these names.
    model_config = ConfigDict(from_attributes=True)
    id: str
    analysis: str
    status: JobStatus
    progress: float | None
    message: str
    elapsed_s: float
    result: dict[str, Any] | None
    problems: list[Problem]


def create_app(scenario: str | None = None, limits: ServerLimits | None = None,
               allowed_hosts: list[str] | None = None,
               room_db: str | None = None, worker: Sequence[str] = WORKER) -> FastAPI:
    """Build the workbench app.

    ``scenario``: the embedded scenario id the page opens with (default ``korea-2017``).
    ``allowed_hosts``: Host headers to accept (guards a local server against DNS
    rebinding); None accepts any. ``room_db``: serve the negotiation room (docs/room.md) on
    this database too. The analyses offered are the registry's as the app is built.
    Tests only (``detente serve`` never passes it, and no request or environment variable
    changes it): ``worker``, the workers' command line after ``python``, for a worker that
    adds to its registry the analysis its test added (tests/web_held.py).
    """
    limits = limits or ServerLimits()
    initial = scenario or DEFAULT_SCENARIO
    embedded_file(initial)  # an unknown id is refused before the server starts
    analyses = available_analyses(limits)
    manager = JobManager(limits.time_limit_s, limits.max_running_jobs, worker=worker)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        manager.warm()
        yield
        manager.shutdown()

    app = FastAPI(title="detente workbench", version=detente.__version__,
                  description=__doc__, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.jobs = manager  # tests reach a job's worker process through it

    install_guards(app, GUARDS, limits.max_body_bytes, allowed_hosts)

    # --- the page -------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if room_db is not None:
        from detente import mount_room

        mount_room(app, room_db)

    # --- reference data -------------------------------------------------------------
    @app.get("/api/info", summary="Version, models, analyses, limits, embedded scenarios")
    def info() -> dict[str, Any]:
        return {
            "version": detente.__version__,
            "initial_scenario": initial,
            "default_models": list(DEFAULT_MODELS),
            "models": [meta.public() for meta in REGISTRY.values()],
            "analyses": [public(a) for a in analyses.values()],
            "counterfactual": COUNTERFACTUAL_FLAGS,
            "limits": limits.public(),
        }

    @app.get("/api/scenarios", summary="The embedded scenarios")
    def scenarios() -> list[dict[str, Any]]:
        return embedded_index()

    @app.get("/api/scenarios/{scenario_id}", summary="One embedded scenario, as JSON",
             response_model=ScenarioOut)
    def embedded(scenario_id: str) -> dict[str, Any]:
        try:
            return _scenario_out(load_embedded(scenario_id), f"<embedded {scenario_id}>")
        except ScenarioError as err:
            raise HTTPException(404, str(err)) from None

    @app.get("/api/schema", summary="The JSON Schema of the scenario format")
    def schema() -> dict[str, Any]:
        return detente.json_schema()

    # --- scenarios in, scenarios out ------------------------------------------------
    @app.post("/api/upload", summary="Read an uploaded scenario file (YAML, JSON or CSV)",
              response_model=ScenarioOut, responses={413: {}, 422: {}})
    def upload(body: UploadBody) -> dict[str, Any]:
        name = Path(body.filename).name or "upload"
        return _scenario_out(limits.read_file(body.text, name), name)

    @app.post("/api/validate", summary="Validate a scenario: the loader's messages, by place",
              response_model=Validation)
    def validate(body: ScenarioBody) -> dict[str, Any]:
        try:
            s = limits.read_mapping(body.scenario)
        except DetenteError as err:
            return {"ok": False, "problems": err.problem_dicts(), "summary": ""}
        return {"ok": True, "problems": [], "summary": _summary(s)}

    @app.post("/api/export/yaml", summary="The scenario as a YAML file",
              responses={200: {"content": {"application/yaml": {}}}, 422: {}})
    def export_yaml(body: ScenarioBody) -> Response:
        s = limits.read_mapping(body.scenario)
        return Response(s.to_yaml(), media_type="application/yaml", headers={
            "Content-Disposition": f'attachment; filename="{s.id}.yaml"'})

    # --- analyses -------------------------------------------------------------------
    def start(analysis: str, request: AnalysisRequest) -> Job:
        if analysis not in analyses:
            raise HTTPException(404, f"no analysis '{analysis}'; available: "
                                f"{', '.join(analyses)}")
        limits.check_scenario(request.scenario)
        # Refused here (422, located) rather than in the worker: the same checks it runs, on
        # the values as sent (a JSON dump turned Infinity or NaN into null: "not given").
        plain = request.model_dump(exclude={"analysis"})
        read_request(analyses[analysis], plain, analyses)
        job = manager.submit(analysis, plain)
        if job is None:
            raise HTTPException(429, f"{limits.max_running_jobs} computations are already "
                                "running; wait for one to finish or cancel it")
        return job

    @app.post("/api/analyses/{analysis}", summary="Run an analysis and wait for its result",
              response_model=JobOut, responses={404: {}, 422: {}, 429: {}, 504: {}})
    def run_now(analysis: str, request: AnalysisRequest, response: Response) -> JobOut:
        job = manager.wait(start(analysis, request))
        response.status_code = {"done": 200, "timeout": 504}.get(job.status, 422)
        return JobOut.model_validate(job)

    @app.post("/api/jobs", summary="Start an analysis in the background", status_code=202,
              response_model=JobOut, responses={404: {}, 422: {}, 429: {}})
    def submit(request: JobRequest) -> JobOut:
        return JobOut.model_validate(start(request.analysis, request))

    @app.get("/api/jobs/{job_id}", summary="A background analysis: status, progress, result",
             response_model=JobOut, responses={404: {}})
    def job_status(job_id: str) -> JobOut:
        job = manager.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job '{job_id}' (finished jobs are forgotten after "
                                "a while)")
        return JobOut.model_validate(job)

    @app.delete("/api/jobs/{job_id}", summary="Cancel a background analysis",
                response_model=JobOut, responses={404: {}})
    def cancel(job_id: str) -> JobOut:
        job = manager.cancel(job_id)
        if job is None:
            raise HTTPException(404, f"no job '{job_id}'")
        return JobOut.model_validate(manager.wait(job, 5))

    return app
