"""The workbench's JSON API: every bad input the loader rejects, limits, analyses, jobs."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
from fastapi.testclient import TestClient

import detente
from detente import ServerLimits
from detente.analyses import ANALYSES
from detente.errors import ScenarioError
from detente.scenario import load, scenario_from_mapping
from detente.variation import Variation
from detente.web.app import create_app
from detente.web.jobs import JobManager
from tests.same_numbers import assert_same_numbers
from tests.web_held import offering_held

KOREA = load("korea-2017").to_dict()
EXAMPLE_TEXT = (Path(__file__).resolve().parent.parent / "examples" / "my.yaml").read_text(
    encoding="utf-8")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def korea() -> dict[str, Any]:
    return copy.deepcopy(KOREA)


def problems_of(err: ScenarioError, lines: bool = True) -> list[dict[str, Any]]:
    return [{"location": p.location, "message": p.message, "fix": p.fix,
             "line": p.line if lines else None} for p in err.problems]


def test_info_lists_every_registered_model_and_the_limits(client: TestClient) -> None:
    info = client.get("/api/info").json()
    assert [m["name"] for m in info["models"]] == list(detente.REGISTRY)
    assert info["initial_scenario"] == "korea-2017"
    assert "forecast" in [a["name"] for a in info["analyses"]]
    assert info["limits"]["max_actors"] == ServerLimits().max_actors


def test_info_lists_every_counterfactual_flag_as_declared(client: TestClient) -> None:
    # The page draws one field per flag from this list: a flag missing here has no field.
    listed = client.get("/api/info").json()["counterfactual"]
    assert [(f["name"], f["flag"], f["example"], f["help"], f["most"]) for f in listed] == [
        (flag[2:], flag, declared.example, declared.help, declared.most)
        for flag, declared in detente.VARIATION_FLAGS.items()]


def test_embedded_scenarios_and_unknown_one(client: TestClient) -> None:
    listed = {s["id"] for s in client.get("/api/scenarios").json()}
    assert listed == set(detente.embedded_scenarios())
    got = client.get("/api/scenarios/korea-2017").json()
    assert scenario_from_mapping(got["scenario"]) == load("korea-2017")
    missing = client.get("/api/scenarios/nowhere")
    assert missing.status_code == 404
    assert "korea-2017" in missing.json()["detail"]


def test_an_embedded_scenario_is_never_read_from_a_file_of_its_name(
        client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server reads no file a request names: a file called korea-2017 in its working
    folder is not the embedded scenario (detente.load would read it)."""
    (tmp_path / "korea-2017").write_text("not: a scenario\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    got = client.get("/api/scenarios/korea-2017")
    assert got.status_code == 200
    assert scenario_from_mapping(got.json()["scenario"]) == detente.load_embedded("korea-2017")


def test_compare_never_loads_the_other_scenario_a_request_names(
        client: TestClient, tmp_path: Path) -> None:
    """The workbench holds compare's other (a path on its machine): a request naming one,
    with a counterfactual, got the counterfactual checked against that file, so the refusal
    listed the file's actor ids, and answered a missing path otherwise."""
    secret = tmp_path / "secret.yaml"
    secret.write_text(EXAMPLE_TEXT.replace("id: river-example", "id: secret"), encoding="utf-8")
    answers = []
    for path in (secret, tmp_path / "absent.yaml"):
        response = client.post("/api/analyses/compare", json={
            "scenario": korea(), "counterfactual": {"without": ["ZZ"]},
            "params": {"other": str(path)}})
        assert response.status_code == 422
        answers.append([p["location"] for p in response.json()["problems"]])
        assert "UP" not in response.text and "DELTA" not in response.text, response.text
    assert answers[0] == answers[1] == ["params.other"]


def test_page_and_assets_are_served_from_the_package_without_cdn(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/static/app.js", "/static/app.css"):
        assert client.get(asset).status_code == 200
    text = page.text + client.get("/static/app.js").text + client.get("/static/app.css").text
    assert "http://" not in text and "https://" not in text


def test_the_page_uses_only_routes_in_the_openapi_schema(client: TestClient) -> None:
    import re

    spec = client.get("/openapi.json").json()
    js = client.get("/static/app.js").text
    used = set(re.findall(r'"(/api/[a-z/]+)', js)) | set(re.findall(r"`(/api/[a-z/]+)", js))
    paths = spec["paths"]
    assert used, "the page calls the API"
    for route in used:
        assert any(p == route or p.startswith(route) for p in paths), route


def mutate(changes: dict[str, Any]) -> dict[str, Any]:
    data = korea()
    for dotted, value in changes.items():
        node: Any = data
        parts = dotted.split("/")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if value is DELETE:
            if isinstance(node, list):
                del node[int(last)]
            else:
                del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


DELETE = object()

# One case per rule of the loader (pydantic types and the cross-field checks).
BAD_INPUTS: dict[str, dict[str, Any]] = {
    "salience above 1": {"stances/KP/NUC/salience": 1.5},
    "salience as percent": {"stances/KP/NUC/salience": 60},
    "position outside scale": {"stances/US/NUC/position": 120},
    "zero capability": {"actors/0/capability": 0},
    "negative capability": {"actors/1/capability": -3},
    "status quo outside scale": {"issues/0/status_quo": -1},
    "scale reversed": {"issues/0/scale": {"low": 100, "high": 0}},
    "anchor outside scale": {"issues/0/anchors": [{"value": 150, "label": "far"}]},
    "unknown guarantor": {"issues/0/guarantors": ["XX"]},
    "option outside scale": {"issues/0/options": [500]},
    "duplicate actor": {"actors/1/id": "US"},
    "duplicate issue": {"issues/1/id": "NUC"},
    "stance for unknown actor": {"stances/ZZ": {"NUC": {"position": 1, "salience": 0.5}}},
    "stance on unknown issue": {"stances/KP/NOPE": {"position": 1, "salience": 0.5}},
    "trust above 1": {"trust/KP/RU": 2},
    "trust in unknown actor": {"trust/KP/XX": 0.5},
    "trust by unknown actor": {"trust/XX": {"KP": 0.5}},
    "low above high": {"actors/0/capability": {"value": 50, "low": 60, "high": 40}},
    "value outside own range": {"actors/0/capability": {"value": 90, "low": 10, "high": 40}},
    "package on unknown issue": {"packages/0/values/NOPE": 3},
    "package outside scale": {"packages/0/values/NUC": 400},
    "outcome outside scale": {"outcomes": {"NUC": 400}},
    "text for a number": {"actors/0/capability": "lots"},
    "true for a number": {"actors/0/capability": True},
    "missing name": {"actors/0/name": DELETE},
    "unknown field": {"actors/0/colour": "red"},
    "bad id": {"actors/0/id": "1US"},
    "no issues": {"issues": []},
    "bad date": {"as_of": "April 2017"},
    "nobody cares": {**{f"stances/{a}/NUC": DELETE for a in ("US", "CN", "RU", "JP", "KR",
                                                               "KP")}},
    "trust default above 1": {"trust_default": 3},
    "stances not a mapping": {"stances": [1, 2]},
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_every_bad_input_gets_the_loaders_message_at_its_place(
        client: TestClient, tmp_path: Path, case: str) -> None:
    data = mutate(BAD_INPUTS[case])
    # What the command line says: load the same content from a file.
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load(path)
    expected = problems_of(info.value, lines=False)
    assert expected

    validated = client.post("/api/validate", json={"scenario": data})
    assert validated.status_code == 200
    body = validated.json()
    assert body["ok"] is False
    assert body["problems"] == expected

    uploaded = client.post("/api/upload", json={"filename": "s.yaml", "text": path.read_text()})
    assert uploaded.status_code == 422
    assert uploaded.json()["problems"] == problems_of(info.value), "same lines as the CLI"

    ran = client.post("/api/analyses/forecast", json={"scenario": data})
    assert ran.status_code == 422
    assert ran.json()["problems"] == expected


@pytest.mark.parametrize(("name", "text", "words"), [
    ("s.yaml", "id: [unclosed", "malformed YAML"),
    ("s.json", "{\"id\": ", "malformed JSON"),
    ("s.yaml", "   \n", "empty"),
    ("s.yaml", "- just\n- a list\n", "expected a mapping"),
    ("s.txt", "id: x", "unknown file type"),
    ("s.csv", "nothing,useful\n1,2\n", ""),
])
def test_bad_uploads_are_refused_with_the_loaders_message(
        client: TestClient, name: str, text: str, words: str) -> None:
    response = client.post("/api/upload", json={"filename": name, "text": text})
    assert response.status_code == 422
    assert words in response.json()["detail"]
    assert response.json()["problems"]


def test_upload_of_a_good_file_round_trips(client: TestClient) -> None:
    text = (Path(detente.__file__).parent / "data" / "scenarios" / "korea-2017.yaml").read_text()
    body = client.post("/api/upload", json={"filename": "mine.yml", "text": text}).json()
    assert body["source"] == "mine.yml"
    assert scenario_from_mapping(body["scenario"]) == load("korea-2017")


def test_oversized_upload_and_body_get_413() -> None:
    limits = ServerLimits(max_upload_bytes=10_000, max_body_bytes=50_000)
    with TestClient(create_app(limits=limits)) as c:
        big = c.post("/api/upload", json={"filename": "s.yaml", "text": "#" * 20_000})
        assert big.status_code == 413
        assert "10000" in big.json()["detail"] or "9 KiB" in big.json()["detail"]
        huge = c.post("/api/validate", content=b"{" + b" " * 60_000 + b"}",
                      headers={"content-type": "application/json"})
        assert huge.status_code == 413
        assert huge.json()["detail"] == "the request is larger than 48 KiB, the most this " \
            "workbench accepts"
        assert huge.json()["problems"][0]["fix"] == "upload a smaller scenario, or start " \
            "the workbench with a larger --max-upload"
        # One byte over the limit: the sizes are rounded up, so the two never read the same.
        over = c.post("/api/upload", json={"filename": "s.yaml", "text": "#" * 10_241})
        assert over.status_code == 413
        assert "the file is 11 KiB" in over.json()["detail"], over.json()


def test_a_worker_given_a_malformed_task_still_answers_with_a_message() -> None:
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "detente.web.worker"], input="[1]\n",
                          capture_output=True, text=True, timeout=120, check=False)
    message = json.loads(done.stdout.splitlines()[-1])
    assert done.returncode == 0 and message["kind"] == "error", done.stderr
    assert message["problems"][0]["location"] == "analysis.analysis"


@pytest.mark.parametrize("path", ["/api/validate", "/api/upload", "/api/jobs"])
def test_oversized_chunked_body_gets_413(path: str) -> None:
    # No Content-Length: the limit can only be noticed while the body streams in.
    def chunks() -> Iterator[bytes]:
        yield b'{"scenario": {"id": "'
        for _ in range(40):
            yield b"x" * 4096
        yield b'"}}'

    with TestClient(create_app(limits=ServerLimits(max_body_bytes=50_000))) as c:
        response = c.post(path, content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413, response.text
        assert "larger than" in response.json()["detail"]
        assert c.post("/api/validate", json={"scenario": korea()}).status_code == 200


def test_scenarios_beyond_the_size_limits_are_refused_clearly(client: TestClient) -> None:
    data = korea()
    template = data["actors"][0]
    data["actors"] = [{**template, "id": f"A{k}"} for k in range(ServerLimits().max_actors + 1)]
    body = client.post("/api/validate", json={"scenario": data}).json()
    assert body["ok"] is False
    assert body["problems"][0]["location"] == "actors"
    assert "more than this workbench accepts" in body["problems"][0]["message"]


def test_hostile_structures_are_refused_not_crashed_on(client: TestClient) -> None:
    bomb = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
    for k in range(1, 9):
        bomb += f"{chr(97 + k)}: &{chr(97 + k)} [" + ", ".join([f"*{chr(96 + k)}"] * 10) + "]\n"
    response = client.post("/api/upload", json={"filename": "bomb.yaml", "text": bomb})
    assert response.status_code == 422
    assert "aliases" in response.json()["detail"]

    deep = {"id": "x"}
    node = deep
    for _ in range(60):
        node["n"] = {}
        node = node["n"]
    response = client.post("/api/validate", json={"scenario": deep})
    assert response.json()["ok"] is False
    assert "nested more than" in response.json()["problems"][0]["message"]

    nested_json = "[" * 5000 + "]" * 5000
    response = client.post("/api/validate", content=b'{"scenario": ' + nested_json.encode()
                           + b"}", headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500

    nan = json.dumps(mutate({"actors/0/capability": float("nan")}))
    response = client.post("/api/validate", content=b'{"scenario": ' + nan.encode() + b"}",
                           headers={"content-type": "application/json"})
    assert response.json()["ok"] is False
    assert "finite" in response.json()["problems"][0]["message"]


def test_export_yaml_reads_back_to_the_same_scenario(client: TestClient) -> None:
    data = mutate({"trust/KP/RU": 0.25})
    response = client.post("/api/export/yaml", json={"scenario": data})
    assert response.status_code == 200
    assert 'filename="korea-2017.yaml"' in response.headers["content-disposition"]
    back = scenario_from_mapping(yaml.safe_load(response.text))
    assert back.trust["KP"]["RU"].value == 0.25
    assert back == scenario_from_mapping(data)
    assert client.post("/api/export/yaml", json={"scenario": {"id": 3}}).status_code == 422


def test_forecast_matches_the_library(client: TestClient) -> None:
    response = client.post("/api/analyses/forecast", json={
        "scenario": korea(), "params": {"model": ["compromise", "median"], "seed": 3}})
    assert response.status_code == 200
    result = response.json()["result"]
    # The forecast analysis gives the combined forecast by default (its spec).
    expected = detente.forecast("korea-2017", models=["compromise", "median"], rng=3,
                                combined=True)
    assert_same_numbers(result["data"], json.loads(json.dumps(expected.to_dict())))
    table = result["view"]["tables"][0]
    first = table["columns"].index("Status quo") + 1   # after Issue, Units, Status quo
    assert table["columns"][first:first + 2] == ["compromise", "median"]
    assert len(table["rows"]) == len(expected.scenario.issues)


def test_counterfactual_without_an_actor_equals_removing_it_by_hand(client: TestClient) -> None:
    response = client.post("/api/analyses/forecast", json={
        "scenario": korea(), "counterfactual": {"without": ["RU"]}})
    assert response.status_code == 200
    result = response.json()["result"]
    assert "RU" not in result["data"]["actors"]
    assert result["view"]["counterfactual"] == "without RU"
    by_hand = korea()
    by_hand["actors"] = [a for a in by_hand["actors"] if a["id"] != "RU"]
    del by_hand["stances"]["RU"]
    by_hand["trust"] = {k: {j: v for j, v in row.items() if j != "RU"}
                        for k, row in by_hand["trust"].items() if k != "RU"}
    for issue in by_hand["issues"]:
        issue["guarantors"] = [g for g in issue.get("guarantors", []) if g != "RU"]
    stages = [st for r in by_hand.get("roadmaps", []) for st in r["stages"]]
    for package in [*by_hand.get("packages", []), *stages]:
        package["guarantors"] = {k: [g for g in v if g != "RU"]
                                 for k, v in package.get("guarantors", {}).items()}
    for issue in by_hand["issues"]:  # issue 16: RU no longer verifies, links, or has stakes
        for band in issue.get("verifies", {}).get("verifiers", []):
            band["by"] = [g for g in band["by"] if g != "RU"]
    by_hand["links"] = [x for x in by_hand.get("links", []) if x["actor"] != "RU"]
    by_hand.get("stakes", {}).pop("RU", None)
    expected = detente.forecast(scenario_from_mapping(by_hand))
    assert_same_numbers(result["data"]["models"],
                        json.loads(json.dumps(expected.to_dict()))["models"])


def test_counterfactual_trust_and_guarantor_changes(client: TestClient) -> None:
    cf = {"trust": ["KP.RU=0.1"], "guarantor": ["NUC=CN"]}
    response = client.post("/api/analyses/forecast", json={"scenario": korea(),
                                                           "counterfactual": cf})
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["view"]["counterfactual"] == "trust KP.RU=0.1; NUC guaranteed by CN"
    # A forecast searches no package: the guarantor change is said to change nothing.
    assert any("changes nothing here" in n for n in result["view"]["notes"])
    bad = {"without": ["XX"], "guarantor": ["NOPE=CN"]}
    response = client.post("/api/analyses/forecast", json={"scenario": korea(),
                                                           "counterfactual": bad})
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert [p["location"] for p in problems] == ["counterfactual.without",
                                                 "counterfactual.guarantor"]
    assert "unknown actor 'XX'" in problems[0]["message"]
    unknown_guarantor = {"guarantor": ["NUC=ZZ"]}
    response = client.post("/api/analyses/forecast", json={"scenario": korea(),
                                                           "counterfactual": unknown_guarantor})
    assert response.status_code == 422
    assert "'ZZ'" in response.json()["detail"]
    for out_of_range in ({"trust": ["KP.RU=1.5"]}, {"position": ["CN.NUC=1000"]},
                         {"capability": ["RU=-1"]}, {"capability": ["US=1e308", "KP=1e308"]},
                         {"add": ["EU=1e16"]}, {"telepathy": ["KP"]}):
        response = client.post("/api/analyses/forecast", json={
            "scenario": korea(), "counterfactual": out_of_range})
        assert response.status_code == 422, out_of_range
        assert "counterfactual." in response.json()["problems"][0]["location"], \
            response.json()


@pytest.mark.parametrize(("params", "location", "words"), [
    ({"model": ["nope"]}, "params.model", "unknown model 'nope'"),
    ({"option": ["nash.bogus=1"]}, "nash.bogus", "unknown option 'bogus'"),
    ({"seed": -1}, "params.seed", "at least 0"),
    ({"samples": 40}, "params.samples", "unknown option 'samples' for forecast"),
])
def test_bad_analysis_options(client: TestClient, params: dict, location: str,
                              words: str) -> None:
    response = client.post("/api/analyses/forecast", json={"scenario": korea(),
                                                           "params": params})
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["location"] == location
    assert words in problem["message"]


@pytest.mark.parametrize(("analysis", "params", "location"), [
    ("settle", '{"step": Infinity}', "params.step"), ("sample", '{"seed": NaN}', "params.seed")])
def test_a_non_finite_option_is_refused_not_taken_as_unset(
        client: TestClient, analysis: str, params: str, location: str) -> None:
    # Python's JSON reader takes Infinity and NaN; read as null they ran the default unsaid.
    body = f'{{"scenario": {json.dumps(korea())}, "params": {params}}}'
    response = client.post(f"/api/analyses/{analysis}", content=body,
                           headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text[:300]
    assert [p["location"] for p in response.json()["problems"]] == [location]


def test_a_field_a_run_request_lacks_is_refused(client: TestClient) -> None:
    response = client.post("/api/analyses/forecast", json={"scenario": korea(), "extra": 1})
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["location"] == "body.extra"
    # The fix is the run request's own: its fields, and where every option goes.
    assert "scenario, counterfactual, params;" in problem["fix"]
    assert "params.option" in problem["fix"]


@pytest.mark.parametrize(("field", "value", "fix"), [
    ("models", ["compromise"], "params.model"),
    ("options", {"nash": {"utility": "linear"}}, "params.option"),
    ("seed", 3, "params.seed"),
])
def test_the_retired_top_level_fields_are_refused_with_their_params_name(
        client: TestClient, field: str, value: Any, fix: str) -> None:
    for path, body in (("/api/analyses/forecast", {}), ("/api/jobs", {"analysis": "forecast"})):
        response = client.post(path, json={"scenario": korea(), **body, field: value})
        assert response.status_code == 422, (path, response.text[:300])
        [problem] = response.json()["problems"]
        assert problem["location"] == f"body.{field}"
        assert fix in problem["fix"]
    # Refused, never documented: the schema lists params alone for the options.
    schema = client.get("/openapi.json").json()["components"]["schemas"]["AnalysisRequest"]
    assert field not in schema["properties"]
    assert "/api/info" in schema["properties"]["params"]["description"]


def analyses_by_model_option(client: TestClient) -> dict[str, list[str]]:
    """The offered analyses by their model option: "several", "one" or "none"."""
    kinds: dict[str, list[str]] = {"several": [], "one": [], "none": []}
    for a in client.get("/api/info").json()["analyses"]:
        model = next((o for o in a["options"] if o["name"] == "model"), None)
        kinds["none" if model is None else "several" if model["multiple"] else "one"
              ].append(a["name"])
    return kinds


def refused_at(client: TestClient, analysis: str, params: dict[str, Any]) -> list[str]:
    """The locations of the problems of a refused request (it must be refused)."""
    response = client.post(f"/api/analyses/{analysis}", json={"scenario": korea(),
                                                              "params": params})
    assert response.status_code == 422, (analysis, params, response.text[:300])
    return [p["location"] for p in response.json()["problems"]]


def test_a_single_model_analysis_runs_the_one_model_asked_for(client: TestClient) -> None:
    assert "sample" in analyses_by_model_option(client)["one"]
    response = client.post("/api/analyses/sample", json={
        "scenario": korea(), "params": {"model": "bdm", "seed": 2, "samples": 40}})
    assert response.status_code == 200, response.text
    assert response.json()["result"]["data"]["model"] == "bdm"
    assert "bdm" in response.json()["result"]["view"]["title"]


def test_models_an_analysis_would_not_run_are_refused(client: TestClient) -> None:
    kinds = analyses_by_model_option(client)
    assert kinds["one"] and kinds["none"] and kinds["several"]
    for name in kinds["one"]:
        assert refused_at(client, name, {"model": ["bdm", "nash"]}) == ["params.model"]
    for name in kinds["none"]:
        assert refused_at(client, name, {"model": ["bdm"]}) == ["params.model"]
    # No model ticked is refused, not run as the default models.
    assert refused_at(client, "forecast", {"model": []}) == ["params.model"]
    response = client.post("/api/analyses/settle", json={"scenario": korea(),
                                                         "params": {"model": "bdm"}})
    problem = response.json()["problems"][0]
    assert "unknown option 'model' for settle" in problem["message"]
    assert "options of settle" in problem["fix"]


def test_a_seed_a_run_would_not_use_is_refused(client: TestClient) -> None:
    info = client.get("/api/info").json()["analyses"]
    drawing = [a["name"] for a in info if any(o["name"] == "seed" for o in a["options"])]
    still = [a["name"] for a in info if a["name"] not in drawing]
    assert "settle" in still and "forecast" in drawing
    for name in still:
        assert refused_at(client, name, {"seed": 3}) == ["params.seed"]
    seeded = client.post("/api/analyses/sample", json={
        "scenario": korea(), "params": {"seed": 3, "samples": 40}})
    assert seeded.status_code == 200, seeded.text
    assert seeded.json()["result"]["data"]["seed"] == 3


def test_options_of_a_model_not_run_are_refused(client: TestClient) -> None:
    linear = ["nash.utility=linear"]
    assert refused_at(client, "sample", {"model": "bdm", "option": linear}) \
        == ["params.option"]
    assert refused_at(client, "explain", {"option": linear}) == ["params.option"]
    assert refused_at(client, "forecast", {"model": ["compromise"], "option": linear,
                                           "combined": "false"}) == ["params.option"]
    # Analyses with no model options refuse them as unknown.
    for name in ("plot", "influence", "settle"):
        assert refused_at(client, name, {"option": linear}) == ["params.option"]
    # The combined forecast runs nash too (its spread and intervals), so nash's options count.
    response = client.post("/api/analyses/forecast", json={
        "scenario": korea(), "params": {"model": ["compromise"], "option": linear}})
    assert response.status_code == 200, response.text
    response = client.post("/api/analyses/forecast", json={
        "scenario": korea(), "params": {"model": ["nash"], "option": linear,
                                        "combined": "false"}})
    assert response.status_code == 200, response.text
    assert response.json()["result"]["data"]["models"][0]["options"]["utility"] == "linear"


def test_unknown_analysis_is_404(client: TestClient) -> None:
    response = client.post("/api/analyses/astrology", json={"scenario": korea()})
    assert response.status_code == 404
    assert "forecast" in response.json()["detail"]


def wait_done(client: TestClient, job_id: str, limit: float = 60) -> dict[str, Any]:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_background_job_runs_and_reports(client: TestClient) -> None:
    started = client.post("/api/jobs", json={"analysis": "forecast", "scenario": korea()})
    assert started.status_code == 202
    job = wait_done(client, started.json()["id"])
    assert job["status"] == "done"
    assert job["result"]["data"]["scenario"] == "korea-2017"
    assert client.get("/api/jobs/unknown").status_code == 404
    assert client.delete("/api/jobs/unknown").status_code == 404


@pytest.fixture()
def gated(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """A workbench whose ``held`` analysis waits until the test creates its gate file."""
    with offering_held(tmp_path) as worker, TestClient(
            create_app(limits=ServerLimits(max_running_jobs=1), worker=worker)) as c:
        yield c, tmp_path


def start_held(c: TestClient, gate: str) -> dict[str, Any]:
    started = c.post("/api/jobs", json={"analysis": "held", "scenario": korea(),
                                        "params": {"gate": gate}})
    assert started.status_code == 202, started.text
    return started.json()


def wait_progress(c: TestClient, job_id: str, limit: float = 120) -> dict[str, Any]:
    """Poll until the job reports progress past its start (every job reports 0 as it
    starts). The held job reports it, then blocks on its gate, so this never depends on
    speed; the limit only ends a broken run."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        job = c.get(f"/api/jobs/{job_id}").json()
        if job["progress"] or job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.02)
    raise AssertionError("the job never reported progress")


def test_the_held_analysis_exists_only_in_its_tests(
        client: TestClient, gated: tuple[TestClient, Path]) -> None:
    assert "held" not in [a["name"] for a in client.get("/api/info").json()["analyses"]]
    assert client.post("/api/jobs", json={"analysis": "held", "scenario": korea()}
                       ).status_code == 404
    c, _ = gated
    assert "held" in [a["name"] for a in c.get("/api/info").json()["analyses"]]


def test_the_product_worker_offers_no_test_analysis_whatever_its_environment(
        tmp_path: Path) -> None:
    # The worker `detente serve` starts: an environment variable (the old test gate's, or
    # any) adds no analysis to it, so a request cannot reach test code through it.
    import os
    import subprocess
    import sys

    from detente.web.jobs import WORKER

    assert create_app().state.jobs.worker == WORKER
    task = {"analysis": "held", "request": {"scenario": korea(), "params": {"gate": "g"}}}
    (tmp_path / "g").touch()
    done = subprocess.run([sys.executable, *WORKER], input=json.dumps(task) + "\n",
                          capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "DETENTE_WEB_TEST_GATE": str(tmp_path)})
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["kind"] == "error" and "unknown analysis 'held'" in answer["message"]


def test_held_job_runs_until_its_gate_opens(gated: tuple[TestClient, Path]) -> None:
    c, gate = gated
    job = wait_progress(c, start_held(c, "g1")["id"])
    assert (job["status"], job["progress"], job["message"]) == ("running", 0.5, "1 of 2")
    (gate / "g1").touch()
    done = wait_done(c, job["id"])
    assert done["status"] == "done" and done["result"]["data"]["gate"] == "g1"


def test_time_limit_stops_a_computation(tmp_path: Path) -> None:
    with offering_held(tmp_path) as worker, TestClient(
            create_app(limits=ServerLimits(time_limit_s=0.5), worker=worker)) as c:
        # The gate never opens: only the time limit can end this job.
        response = c.post("/api/analyses/held", json={"scenario": korea(),
                                                      "params": {"gate": "never"}})
        assert response.status_code == 504
        assert response.json()["message"] == "stopped after the time limit of 0.5 s; try " \
            "fewer samples or a smaller scenario, or start the workbench with a longer " \
            "--time-limit"


def test_time_limit_stops_a_worker_that_never_takes_its_request() -> None:
    # A request larger than a pipe holds is sent only as the worker reads it: the time limit
    # runs from the start, so a worker stuck before reading is stopped too (the job stayed
    # queued for good).
    manager = JobManager(0.5, worker=("-c", "import time; time.sleep(60)"))
    job = manager.submit("forecast", {"scenario": {"id": "x" * 500_000}})
    assert job is not None
    try:
        assert manager.wait(job, 10).status == "timeout", job.status
        assert "time limit" in job.message
    finally:
        manager.shutdown()


@pytest.mark.parametrize(("worker", "code"), [
    # Dies: its exit code is the message's, whatever killing its group does after.
    ("import sys; sys.stdin.readline(); sys.exit(3)", "3"),
    # Lines that are JSON but no message (a library's print) are skipped like any other.
    ("import sys; sys.stdin.readline(); print(42); print('{}'); sys.exit(3)", "3"),
    # Closes its output and runs on: the watch waited 2 s for its exit, gave up with an
    # exception and left the job running (its slot taken) for good.
    ("import os, sys, time; sys.stdin.readline(); os.close(1); time.sleep(60)", "-9"),
    # Sends a message it cannot read (an error without its problems) and runs on: the watch
    # stopped at it with an exception and left the job running for good.
    ("import sys, time; sys.stdin.readline(); print('{\"kind\": \"error\"}', flush=True); "
     "time.sleep(60)", "-9")])
def test_a_worker_that_ends_its_output_without_a_result_fails_its_job(worker: str,
                                                                     code: str) -> None:
    manager = JobManager(60, worker=("-c", worker))
    job = manager.submit("forecast", {"scenario": {}})
    assert job is not None
    try:
        assert manager.wait(job, 10).status == "failed", job.status
        assert job.message == f"the computation stopped unexpectedly (exit code {code})"
    finally:
        manager.shutdown()


def test_cancel_kills_the_worker(gated: tuple[TestClient, Path]) -> None:
    c, _ = gated
    job = wait_progress(c, start_held(c, "never")["id"])
    assert job["status"] == "running"
    cancelled = c.delete(f"/api/jobs/{job['id']}").json()
    assert cancelled["status"] == "cancelled"
    process = c.app.state.jobs.get(job["id"]).process  # type: ignore[attr-defined]
    assert process.wait(10) is not None, "the worker process is gone"


@pytest.mark.parametrize("item", ["forecast.combination=/etc/passwd", "sample.workers=4",
                                  " sensitivity.workers =2", "forecast.combination=None",
                                  "sample.combination=/etc/passwd", "not a setting"])
def test_the_reports_settings_cannot_reach_what_the_workbench_fixes(
        client: TestClient, item: str) -> None:
    # The workbench reads no file by path and runs a job in one process; the report's
    # settings (--set ANALYSIS.OPTION=VALUE) reached both.
    response = client.post("/api/analyses/report", json={"scenario": korea(),
                                                        "params": {"set": [item]}})
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert [p["location"] for p in problems] == ["params.set"]
    assert ("the workbench sets" in problems[0]["message"]
            or "is not ANALYSIS.OPTION=VALUE" in problems[0]["message"])


@pytest.mark.parametrize(("analysis", "option"), [
    ("forecast", "combination"), ("sample", "combination"), ("compare", "other"),
    ("plot", "data"), ("report", "data")])
def test_no_request_names_a_file_the_server_reads(client: TestClient, tmp_path: Path,
                                                  analysis: str, option: str) -> None:
    # Each of these options reads the file a path names, on the machine that runs it: a
    # file that is there, and readable, is refused by the option, before anything runs.
    there = tmp_path / "there.yaml"
    there.write_text(load("korea-2017").to_json())
    body = {"scenario": korea(), "params": {option: str(there)}}
    for response in (client.post(f"/api/analyses/{analysis}", json=body),
                     client.post("/api/jobs", json={"analysis": analysis, **body})):
        assert response.status_code == 422, response.text
        assert [(p["location"], p["message"]) for p in response.json()["problems"]] == [
            (f"params.{option}", f"unknown option '{option}' for {analysis}")]
    # validate reads its targets by path: it is not offered at all.
    assert client.post("/api/analyses/validate", json={"scenario": korea()}).status_code == 404


def test_a_setting_of_an_option_its_analysis_lacks_is_refused_at_submit(
        client: TestClient) -> None:
    # forecast has no workers: the held value was taken at submit (any analysis's "workers"
    # was held by name), and the job then failed in its worker, at "--set forecast.workers".
    response = client.post("/api/jobs", json={"analysis": "report", "scenario": korea(),
                                              "params": {"set": ["forecast.workers=1"]}})
    assert response.status_code == 422, response.text
    assert [(p["location"], p["message"]) for p in response.json()["problems"]] == [
        ("params.set", "forecast.workers: unknown option 'workers' for forecast")]


@pytest.mark.parametrize(("analysis", "given"), [
    ("report", []), ("report", ["sample.workers=1", "settle.step=50"]),
    ("plot", ["sensitivity.workers = 1"])])
def test_the_reports_own_analyses_run_in_the_jobs_one_process(
        analysis: str, given: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # The report's settings were held to the fixed values, but its analyses left unset
    # took their own default ("all cores when long enough"): a job started a pool.
    from detente import ANALYSES, REPORTED, parse_settings
    from detente.report.kinds import report_settings
    from detente.web import analyses

    params: dict[str, Any] = {"set": given} if given else {}
    if analysis == "plot":
        params["kind"] = "comparison"
    ran: dict[str, Any] = {}

    def run(*_: Any, **options: Any) -> None:  # what the job would run, kept
        ran.update(options)
        raise RuntimeError("stop here")

    monkeypatch.setattr(analyses, "run", run)
    with pytest.raises(RuntimeError, match="stop here"):
        analyses.run_analysis(analysis, {"scenario": korea(), "params": params},
                              lambda *_: None)
    settings = report_settings(parse_settings(ran["set"]))  # as the report reads them
    held = [(name, option, value) for name in REPORTED
            for option, value in ANALYSES[name].held_values().items()]
    assert any(option == "workers" for _, option, _ in held), \
        "some analysis of the report starts processes"
    for name, option, value in held:
        assert settings[name][option] == value, (name, option)


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_cancel_stops_the_processes_a_worker_started(gated: tuple[TestClient, Path]) -> None:
    # A sampling pool's children hold the worker's output open: killing the worker alone
    # left the job 'running' for good (its slot taken, its children computing).
    c, gate = gated
    started = c.post("/api/jobs", json={"analysis": "held", "scenario": korea(),
                                        "params": {"gate": "never", "fail": "child"}})
    job = wait_progress(c, started.json()["id"])
    child = int((gate / "never.child").read_text())
    assert _alive(child)
    assert c.delete(f"/api/jobs/{job['id']}").json()["status"] == "cancelled"
    end = time.monotonic() + 10
    while _alive(child) and time.monotonic() < end:
        time.sleep(0.02)
    assert not _alive(child), "the worker's own child outlived the cancel"


def test_too_many_running_jobs_get_429(gated: tuple[TestClient, Path]) -> None:
    c, gate = gated
    first = start_held(c, "g2")
    second = c.post("/api/jobs", json={"analysis": "held", "scenario": korea(),
                                       "params": {"gate": "g2"}})
    assert second.status_code == 429
    assert "already running" in second.json()["detail"]
    (gate / "g2").touch()
    assert wait_done(c, first["id"])["status"] == "done"
    assert start_held(c, "g3")["status"] in ("queued", "running")  # room again


def test_host_header_is_checked_when_asked() -> None:
    app = create_app(allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://evil.example") as c:
        assert c.get("/api/info").status_code == 400
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        assert c.get("/api/info").status_code == 200


def test_monte_carlo_matches_the_library(client: TestClient) -> None:
    response = client.post("/api/analyses/sample", json={
        "scenario": korea(), "params": {"model": "compromise", "seed": 5, "samples": 300}})
    assert response.status_code == 200, response.text
    data = response.json()["result"]["data"]
    expected = detente.sample("korea-2017", model="compromise", samples=300, rng=5).to_dict()
    assert_same_numbers(data["issues"], json.loads(json.dumps(expected["issues"])))
    assert data["seed"] == 5
    rows = response.json()["result"]["view"]["tables"][0]["rows"]
    assert [r[0].split()[0] for r in rows] == list(load("korea-2017").issue_ids)


def test_the_combined_forecast_is_a_switch_of_the_forecast(client: TestClient) -> None:
    info = {a["name"]: {o["name"]: o for o in a["options"]}
            for a in client.get("/api/info").json()["analyses"]}
    # Declared once (a bool, on by default); the page draws a bool as a true/false select.
    assert (info["forecast"]["combined"]["type"], info["forecast"]["combined"]["default"]) \
        == ("bool", True)
    assert "combined" in info["sample"]["model"]["choices"]
    # The workbench reads no file by path: the shipped combination only.
    assert "combination" not in info["forecast"] and "combination" not in info["sample"]
    # On by default (test_forecast_matches_the_library); off as the select sends it, text.
    response = client.post("/api/analyses/forecast", json={
        "scenario": korea(), "params": {"model": ["compromise"], "combined": "false"}})
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert "combined" not in result["data"]
    assert len(result["view"]["tables"]) == 1


def test_roadmap_first_stage_from_the_web_is_the_command_lines(client: TestClient) -> None:
    # --first NUC=50 (docs/roadmap.md, the freeze alone first): the same option, the same
    # numbers, the same refusal as on the command line.
    response = client.post("/api/analyses/roadmap", json={
        "scenario": korea(), "params": {"stages": 2, "first": ["NUC=50"]}})
    assert response.status_code == 200, response.text
    search = response.json()["result"]["data"]["baseline"]["search"]
    expected = detente.roadmap("korea-2017", stages=2, first=["NUC=50"]).baseline.search
    assert expected is not None and expected.found is not None
    assert search["first"] == {"NUC": 50.0}
    assert search["found"]["stages"][1]["values"] == expected.found.stages[1].values
    assert search["found"]["min_margin"] == pytest.approx(expected.found.min_margin)
    bad = client.post("/api/analyses/roadmap", json={
        "scenario": korea(), "params": {"stages": 2, "first": ["NUC=55"]}})
    assert bad.status_code == 422
    assert any("NUC=50 or NUC=60" in p["fix"] for p in bad.json()["problems"])
    # --stage: the roadmap stated stage by stage, as the command line evaluates it.
    stages = ["NUC=50", "MSL=100,SANC=20,SEC=80,VER=80,ALL=30,LINK=50"]
    stated = client.post("/api/analyses/roadmap", json={
        "scenario": korea(), "params": {"stage": stages, "scan": "KP.CN"}})
    assert stated.status_code == 200, stated.text
    data = stated.json()["result"]["data"]
    # The same data as the library's, the stated roadmap's name included.
    library = detente.roadmap("korea-2017", stage=stages, scan="KP.CN").to_dict()
    assert_same_numbers(data["baseline"], json.loads(json.dumps(library["baseline"])))
    assert data["scan"]["roadmaps"]["STATED"]["lowest_holding"] == 0.35


def test_sensitivity_matches_the_library(client: TestClient) -> None:
    from detente.uncertainty.sensitivity import sensitivity

    response = client.post("/api/analyses/sensitivity", json={
        "scenario": korea(), "params": {"seed": 2, "samples": 16, "group": "actor"}})
    assert response.status_code == 200, response.text
    data = response.json()["result"]["data"]
    # The web shows as many inputs per output as the command line (the registry's default).
    top = ANALYSES["sensitivity"].option("top").default
    expected = sensitivity("korea-2017", samples=16, rng=2, group_by="actor").to_dict(top=top)
    assert_same_numbers(data["outputs"], json.loads(json.dumps(expected["outputs"])))


@pytest.mark.parametrize(("analysis", "params", "words"), [
    ("sample", {"samples": 0}, "samples"),
    ("sample", {"samples": 10**9}, "from 1 to 20000"),
    # Past the registry's own bound too, or sent as text: the workbench's limit is named.
    ("sample", {"samples": 10**15}, "from 1 to 20000"),
    ("sample", {"samples": "30000"}, "from 1 to 20000"),
    ("sensitivity", {"samples": 10**15}, "from 2 to 20000"),
    ("sample", {"samples": 2.5}, "whole number"),
    ("sample", {"noise": "position=banana"}, ""),
    # A kind given twice: the first spread was silently replaced (200).
    ("sample", {"noise": ["position=10%", "position=5"]}, "params.noise"),
    ("sample", {"noise": ["position=10%", "position=5"]}, "position is given twice"),
    ("sensitivity", {"group": "zodiac"}, "unknown group"),
])
def test_bad_monte_carlo_parameters(client: TestClient, analysis: str, params: dict,
                                    words: str) -> None:
    response = client.post(f"/api/analyses/{analysis}", json={"scenario": korea(),
                                                               "params": params})
    assert response.status_code == 422
    assert words in json.dumps(response.json())


def test_long_job_reports_progress_and_cancel_stops_it(
        gated: tuple[TestClient, Path]) -> None:
    c, _ = gated
    job = wait_progress(c, start_held(c, "never")["id"])
    assert job["status"] == "running"
    assert 0 < job["progress"] < 1
    cancelled = c.delete(f"/api/jobs/{job['id']}").json()
    assert cancelled["status"] == "cancelled"
    assert c.get(f"/api/jobs/{job['id']}").json()["status"] == "cancelled"


def test_sensitivity_reports_its_progress_in_rows() -> None:
    # The real kernel's progress messages, in this process: no job, no timer.
    from detente.web.analyses import run_analysis

    seen: list[tuple[float, str]] = []
    run_analysis("sensitivity", {"scenario": korea(), "params": {
        "model": "compromise", "samples": 40, "group": "actor"}},
                 lambda fraction, message: seen.append((fraction, message)))
    assert seen and all(0 <= f <= 1 for f, _ in seen)
    assert any(0 < f < 1 and " of " in m for f, m in seen), seen


def without_seconds(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_seconds(v) for k, v in node.items() if k != "seconds"}
    if isinstance(node, list):
        return [without_seconds(v) for v in node]
    return node


def test_settle_with_a_trust_toggle_matches_the_library(client: TestClient) -> None:
    from detente.settlement import settle

    cf = {"trust": ["KP.RU=0.05"]}
    response = client.post("/api/analyses/settle", json={
        "scenario": korea(), "counterfactual": cf, "params": {"step": 10}})
    assert response.status_code == 200, response.text
    data = response.json()["result"]["data"]
    expected = settle("korea-2017", step=10,
                      variations=Variation(trust=(("KP", "RU", 0.05),))).to_dict()
    assert without_seconds(data) == without_seconds(json.loads(json.dumps(expected)))
    view = response.json()["result"]["view"]
    best = next(t for t in view["tables"] if t["title"].startswith("Best package"))
    assert best["columns"][3:] == ["baseline", "KP.RU=0.05"]   # after Issue, Units, Status quo
    assert any(row[3] != row[4] for row in best["rows"]), "KP's trust in RU matters"


def test_settle_rejects_bad_parameters(client: TestClient) -> None:
    for params, words in (({"step": -5}, "grid step must be a finite number above 0"),
                          ({"utility": "cubic"}, "utility"),
                          ({"top": 0}, "top")):
        response = client.post("/api/analyses/settle", json={"scenario": korea(),
                                                              "params": params})
        assert response.status_code == 422, params
        assert words in json.dumps(response.json())


def png_bytes(figure: dict[str, str]) -> bytes:
    import base64

    data = base64.b64decode(figure["png"])
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return data


def test_figures_draw_the_scenario_and_its_counterfactual(client: TestClient) -> None:
    from detente.report.kinds import KINDS

    request = {"scenario": korea(),
               "params": {"model": ["compromise", "median"], "kind": "comparison"}}
    response = client.post("/api/analyses/plot", json=request)
    assert response.status_code == 200, response.text
    figures = response.json()["result"]["data"]["figures"]
    assert [f["title"] for f in figures] == [KINDS["comparison"].title]
    assert len(png_bytes(figures[0])) > 10_000
    # A figure takes the counterfactual like every analysis: another picture, named.
    varied = client.post("/api/analyses/plot", json={
        **request, "counterfactual": {"without": ["RU"]}})
    assert varied.status_code == 200, varied.text
    assert varied.json()["result"]["view"]["counterfactual"] == "without RU"
    assert png_bytes(varied.json()["result"]["data"]["figures"][0]) != png_bytes(figures[0])
    # A wrong one is refused by place, before anything is drawn.
    bad = client.post("/api/analyses/plot", json={
        **request, "counterfactual": {"without": ["RUS"]}})
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["location"] == "counterfactual.without"
    assert "unknown actor 'RUS'" in bad.json()["problems"][0]["message"]
    unknown = client.post("/api/analyses/plot", json={"scenario": korea(),
                                                         "params": {"kind": "all of them"}})
    assert unknown.status_code == 422
    assert "unknown figure kind" in unknown.json()["detail"]


@pytest.mark.parametrize(("kind", "models"), [("trajectories", ["bdm"]),
                                             ("without-actor", ["compromise"])])
def test_figure_kinds_of_the_report(client: TestClient, kind: str, models: list[str]) -> None:
    from detente.report.kinds import KINDS

    response = client.post("/api/analyses/plot", json={
        "scenario": korea(), "params": {"model": models, "kind": kind}})
    assert response.status_code == 200, response.text
    figures = response.json()["result"]["data"]["figures"]
    assert [f["title"] for f in figures] == [KINDS[kind].title]
    png_bytes(figures[0])


def test_figure_that_cannot_be_drawn_says_why(client: TestClient) -> None:
    response = client.post("/api/analyses/plot", json={
        "scenario": korea(), "params": {"model": ["compromise"], "kind": "trajectories"}})
    assert response.status_code == 422
    assert "round by round" in response.json()["message"]


def test_explain_matches_the_models_own_tables(client: TestClient) -> None:
    response = client.post("/api/analyses/explain", json={
        "scenario": korea(), "params": {"model": "bdm", "issue": "SANC", "round_number": 2}})
    assert response.status_code == 200, response.text
    data = response.json()["result"]["data"]
    s = load("korea-2017")
    tables = detente.get_model("bdm").explain(s.compile(), s.issue_ids.index("SANC"), 2)
    assert data["model"] == "bdm"
    assert data["tables"] == json.loads(json.dumps([t.to_dict() for t in tables]))
    view = response.json()["result"]["view"]
    assert [t["title"] for t in view["tables"]] == [t.title for t in tables]
    bad = client.post("/api/analyses/explain", json={"scenario": korea(),
                                                     "params": {"issue": "NOPE"}})
    assert bad.status_code == 422
    assert "no issue 'NOPE'" in bad.json()["message"]


def test_contributions_match_the_library(client: TestClient) -> None:
    from detente.settlement.contributions import contributions

    response = client.post("/api/analyses/contributions", json={
        "scenario": korea(), "params": {"step": 25, "value": "nash"}})
    assert response.status_code == 200, response.text
    data = response.json()["result"]["data"]
    expected = contributions("korea-2017", step=25, rng=0).to_dict()
    assert data == json.loads(json.dumps(expected))
    rows = response.json()["result"]["view"]["tables"][0]["rows"]
    assert [r[0] for r in rows] == list(load("korea-2017").actor_ids)


def test_html_report_is_offline_and_names_the_scenario_and_counterfactual() -> None:
    # The report draws every figure: give a slow shared test machine time for it.
    with TestClient(create_app(limits=ServerLimits(time_limit_s=900))) as c:
        response = c.post("/api/analyses/report", json={
            "scenario": mutate({"title": "Edited in the workbench"}),
            "params": {"model": ["compromise"]}, "counterfactual": {"without": ["RU"]}})
    assert response.status_code == 200, response.text
    data = response.json()["result"]["data"]
    assert data["filename"] == "korea-2017-report.html"
    html = data["html"]
    assert "Edited in the workbench" in html
    assert "Counterfactual: <b>without RU</b>" in html
    assert response.json()["result"]["view"]["counterfactual"] == "without RU"
    assert '<script src="http' not in html and '<link href="http' not in html


def test_roadmap_with_a_trust_toggle_matches_the_library(client: TestClient) -> None:
    from detente.roadmaps import roadmap

    cf = {"trust": ["KP.RU=0.9"]}
    response = client.post("/api/analyses/roadmap", json={"scenario": korea(),
                                                           "counterfactual": cf})
    assert response.status_code == 200, response.text
    data = response.json()["result"]["data"]
    expected = roadmap("korea-2017", variations=Variation(trust=(("KP", "RU", 0.9),)))
    assert without_seconds(data) == without_seconds(json.loads(json.dumps(expected.to_dict())))
    named = response.json()["result"]["view"]["tables"][0]
    assert named["title"] == "Named roadmaps"
    assert named["columns"] == ["Roadmap", "baseline", "KP.RU=0.9"]


def test_analysis_options_are_checked_before_anything_runs(client: TestClient) -> None:
    response = client.post("/api/analyses/roadmap", json={
        "scenario": korea(), "params": {"bogus": 1, "patience": 3, "defection": "maybe"}})
    assert response.status_code == 422
    problems = {p["location"]: p["message"] for p in response.json()["problems"]}
    assert set(problems) == {"params.bogus", "params.patience", "params.defection"}
    assert problems["params.bogus"] == "unknown option 'bogus' for roadmap"
    assert "got 3" in problems["params.patience"]
    assert problems["params.defection"] == "unknown defection 'maybe'"
    info = client.get("/api/info").json()
    roadmap_options = next(a for a in info["analyses"] if a["name"] == "roadmap")["options"]
    assert [p["name"] for p in roadmap_options] == [o.name for o in
                                                    ANALYSES["roadmap"].options]


@pytest.mark.parametrize("origin", ["http://evil.example", "http://testserver:8080",
                                    "https://testserver", "null", "garbage"])
def test_cross_origin_state_changes_are_refused(client: TestClient, origin: str) -> None:
    for method, path, body in (("POST", "/api/validate", {"scenario": korea()}),
                               ("POST", "/api/jobs", {"analysis": "forecast",
                                                      "scenario": korea()}),
                               ("DELETE", "/api/jobs/unknown", None)):
        response = client.request(method, path, json=body, headers={"Origin": origin})
        assert response.status_code == 403, (method, path, response.text)
        assert "cross-origin request refused" in response.json()["detail"]
        assert response.json()["problems"][0]["location"] == "Origin"
    # Reading is harmless (and the browser keeps the answer from the other site).
    assert client.get("/api/info", headers={"Origin": origin}).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Origin": "http://testserver"},
                                     {"Origin": "http://TestServer:80"}])
def test_same_origin_and_originless_requests_are_allowed(client: TestClient,
                                                         headers: dict[str, str]) -> None:
    response = client.post("/api/validate", json={"scenario": korea()}, headers=headers)
    assert response.status_code == 200, response.text
    assert client.delete("/api/jobs/unknown", headers=headers).status_code == 404


def test_a_failing_computation_names_the_place_not_the_exception(
        client: TestClient) -> None:
    # Scales of ±1e308 overflowed in the settlement search ("OverflowError: cannot convert
    # float infinity to integer" on the page). Whatever the analysis makes of them, the
    # answer is a result or a located message, never Python's exception text.
    data = korea()
    data["issues"][0]["scale"] = {"low": -1e308, "high": 1e308}
    response = client.post("/api/analyses/settle", json={"scenario": data})
    assert response.status_code in (200, 422), response.text
    text = response.text
    assert "Error:" not in text and "Traceback" not in text and "integer" not in text
    assert response.status_code == 200 or response.json()["problems"], text


def test_unexpected_failures_are_described_by_place() -> None:
    from detente.errors import describe_failure

    request = {"scenario": {"issues": [{"id": "X", "scale": {"low": -1e308, "high": 1e308}}]},
               "params": {"step": 5}}
    message, problems = describe_failure(OverflowError("cannot convert float infinity to "
                                                       "integer"), "settle", request, "log")
    assert "OverflowError" not in message and "infinity" not in message
    assert [p.location for p in problems] == ["scenario.issues[0].scale.low",
                                              "scenario.issues[0].scale.high"]
    assert all("too large" in p.message and p.fix for p in problems)
    message, problems = describe_failure(KeyError("internal_name"), "sample", {}, "log")
    assert "internal_name" not in message + str(problems)
    assert problems[0].location == "analysis.sample"
    message, _ = describe_failure(MemoryError(), "sample", {}, "log")
    assert "memory" in message
    # An int past float range among the inputs (a seed has no upper bound): named, where
    # float() and math.isfinite overflowed in the describing itself.
    message, problems = describe_failure(ValueError("x"), "sample", {"seed": 10 ** 400}, "log")
    assert [(p.location, p.message) for p in problems] == [
        ("seed", "a 401-digit number is too large to compute with")]


def test_internal_errors_are_logged_not_shown(gated: tuple[TestClient, Path],
                                              caplog: pytest.LogCaptureFixture) -> None:
    c, _ = gated
    with caplog.at_level("ERROR", logger="detente.web"):
        response = c.post("/api/analyses/held", json={"scenario": korea(), "params": {
            "gate": "g", "fail": "overflow"}})
    assert response.status_code == 422
    body = response.json()
    assert "OverflowError" not in response.text and "infinity" not in response.text
    assert body["message"].startswith("held: the computation failed (a number overflowed")
    assert body["problems"][0]["location"] == "analysis.held"
    # The operator still gets the exception and where it came from.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "OverflowError: cannot convert float infinity to integer" in logged
    assert "run_held" in logged
    # A bad gate name is refused by the analysis itself, located at its option.
    bad = c.post("/api/analyses/held", json={"scenario": korea(), "params": {"gate": "a/b"}})
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["location"] == "params.gate"


@pytest.mark.parametrize(("flag", "most"), [("without", 100), ("add", 40), ("capability", 200),
                                           ("position", 2000), ("salience", 2000),
                                           ("trust", 2000), ("guarantor", 200), ("fix", 200)])
def test_a_counterfactual_flag_takes_at_most_its_entries(client: TestClient, flag: str,
                                                         most: int) -> None:
    # Per actor or per issue far fewer entries than the per-pair flags' 2000: refused by the
    # request model (422) before anything runs. The numbers are written out: a test that
    # read them from the declaration would pass whatever it said.
    body = {"scenario": korea(), "counterfactual": {flag: ["X"] * (most + 1)}}
    response = client.post("/api/analyses/forecast", json=body)
    assert response.status_code == 422
    assert [p["message"] for p in response.json()["problems"]
            if p["location"].endswith(f"counterfactual.{flag}")] == [
        f"List should have at most {most} items after validation, not {most + 1}"]


@pytest.fixture(scope="module")
def narrow() -> Iterator[TestClient]:
    """A workbench that runs at most 2,000 samples."""
    with TestClient(create_app(limits=ServerLimits(max_samples=2000))) as c:
        yield c


@pytest.mark.parametrize("setting", ["sample.samples=3000000", "sensitivity.samples=2001"])
def test_the_reports_settings_are_held_to_the_workbench_sample_limit(
        narrow: TestClient, setting: str) -> None:
    # The limit was checked on params.samples only: the report's settings ran 3,000,000.
    response = narrow.post("/api/jobs", json={"analysis": "report", "scenario": korea(),
                                              "params": {"set": [setting]}})
    assert response.status_code == 422, response.json()
    problems = response.json()["problems"]
    assert [p["location"] for p in problems] == ["params.set"]
    assert problems[0]["message"].startswith(setting.split("=")[0] + ": ")
    assert "from 1 to 2000" in problems[0]["message"] or \
        "from 2 to 2000" in problems[0]["message"]


def test_the_reports_settings_are_checked_at_submit(client: TestClient) -> None:
    # They were read only in the worker, a second later, located at "--set settle.step".
    response = client.post("/api/jobs", json={"analysis": "report", "scenario": korea(),
                                              "params": {"set": ["settle.step=abc"]}})
    assert response.status_code == 422, response.json()
    problems = response.json()["problems"]
    own = ANALYSES["settle"].option("step").check("abc")[1]
    assert [(p["location"], p["message"]) for p in problems] == \
        [("params.set", f"settle.step: {own[0].message}")]


@pytest.mark.parametrize("samples", ["abc", 0, 2.5, 2001])
def test_sample_refusals_name_the_workbench_bound(narrow: TestClient, samples: Any) -> None:
    # They named the registry's bound (10000000), which the workbench does not run.
    response = narrow.post("/api/analyses/sample", json={"scenario": korea(),
                                                         "params": {"samples": samples}})
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["location"] == "params.samples"
    assert "from 1 to 2000" in problem["message"], problem


def test_info_gives_the_workbench_bound_of_samples(narrow: TestClient) -> None:
    # The page's field hint read the registry's bound (10000000).
    info = {a["name"]: a for a in narrow.get("/api/info").json()["analyses"]}
    highs = {name: o["high"] for name, a in info.items() for o in a["options"]
             if o["name"] == "samples"}
    assert highs and set(highs.values()) == {2000}, highs


def test_a_workbench_bound_below_a_default_holds_the_default_too() -> None:
    # With max_samples 500, a request that gave no count was refused "from 1 to 500, got
    # 1000" (sample's default), and a report could not be submitted at all (contributions'
    # 2000, sensitivity's 512 in its settings); /api/info published default 1000, high 500.
    from detente.web.analyses import available_analyses, read_request

    offered = available_analyses(limits=ServerLimits(max_samples=500))
    for name, spec in offered.items():
        for o in spec.options:
            if o.name == "samples" and isinstance(o.default, int):
                assert o.default <= 500, (name, o.default)
    nothing_given = {"scenario": KOREA, "params": {}}
    assert read_request(offered["sample"], nothing_given)[2]["samples"] == 500
    read_request(offered["report"], nothing_given)  # refused: OptionError
    with TestClient(create_app(limits=ServerLimits(max_samples=500))) as c:
        info = {a["name"]: a for a in c.get("/api/info").json()["analyses"]}
        samples = [o for a in info.values() for o in a["options"] if o["name"] == "samples"]
        assert samples and all(o["default"] <= o["high"] == 500 for o in samples
                               if isinstance(o["default"], int)), samples


def test_the_reports_settings_are_checked_with_its_own_options() -> None:
    # A model option of the sampled analyses is read against the report's primary model,
    # as the run reads it: refused for another model, taken for that one.
    from detente.web.analyses import read_request

    given = ["sample.option=nash.utility=linear"]
    with pytest.raises(detente.OptionError) as refused:
        read_request(ANALYSES["report"], {"scenario": KOREA, "params": {"set": given}})
    assert [(p.location, p.message.split(":")[0]) for p in refused.value.problems] == \
        [("params.set", "sample.option")]
    _, _, options = read_request(ANALYSES["report"], {"scenario": KOREA, "params": {
        "set": given, "primary": "nash"}})
    assert options["set"][0] == given[0]


def _flags_named(data: Any) -> list[str]:
    """Every text in ``data`` (a response's JSON) that names a command-line flag."""
    import re

    if isinstance(data, dict):
        return [t for v in data.values() for t in _flags_named(v)]
    if isinstance(data, list):
        return [t for v in data for t in _flags_named(v)]
    return [data] if isinstance(data, str) and re.search(r"(?<![\w-])--?[a-zA-Z]\b|--[a-z]",
                                                          data) else []


@pytest.mark.parametrize(("analysis", "params", "counterfactual", "cli", "workbench"), [
    # Checked at submit: the grid step's own fix.
    ("settle", {"step": "abc"}, {}, ["--step", "abc"],
     ("params.step", "e.g. step=5%, or a step in issue units, e.g. step=2.5")),
    # Refused in the run (the worker): the search's estimate, located at its option.
    ("settle", {"method": "brute", "max_packages": 10}, {},
     ["--method", "brute", "--max-packages", "10"],
     ("params.max_packages", "use method=bnb (exact and usually far faster), use a coarser "
      "step, fix issues with fix, or raise the limit with max_packages=N")),
    # The memory check of a sampling run, whose limit the workbench offers as a field.
    ("sample", {"max_memory": "1K", "samples": 100}, {}, ["--max-memory", "1K", "-n", "100"],
     ("params.max_memory", "or raise the limit with max_memory=1G (or DETENTE_MAX_MEMORY=1G)")),
    # The counterfactual's own checks.
    ("forecast", {}, {"salience": ["KP.SANC=2"]}, ["--salience", "KP.SANC=2"],
     ("counterfactual.salience", "write a value from 0 to 1, e.g. salience=US.NUC=0.9")),
    # The scenario bound on a capability, and an actor's trust in itself (one check).
    ("forecast", {}, {"capability": ["US=1e308"]}, ["--capability", "US=1e308"],
     ("counterfactual.capability", "write e.g. capability=US=60 (only ratios between "
      "capabilities matter: scale them down together); to remove an actor use without")),
    ("forecast", {}, {"trust": ["KP.KP=0.5"]}, ["--trust", "KP.KP=0.5"],
     ("counterfactual.trust", "leave it out: an actor always believes itself")),
])
def test_a_workbench_refusal_names_options_as_the_workbench_does(
        client: TestClient, analysis: str, params: dict[str, Any],
        counterfactual: dict[str, list[str]], cli: list[str],
        workbench: tuple[str, str]) -> None:
    # The library's refusals are the command line's and the workbench's: under params.step
    # the page said "e.g. --step 5%", a flag the page has no field for.
    from typer.testing import CliRunner

    from detente.cli import app

    response = client.post(f"/api/analyses/{analysis}", json={
        "scenario": korea(), "params": params, "counterfactual": counterfactual})
    assert response.status_code == 422, response.text[:300]
    problems = response.json()["problems"]
    assert not _flags_named(response.json()), problems
    location, fix = workbench
    assert [p["location"] for p in problems] == [location]
    assert fix in problems[0]["fix"], problems
    # The command line words the same refusal with its flags, as it always did.
    said = CliRunner().invoke(app, [analysis, "korea-2017", *cli])
    assert said.exit_code == 2, said.output
    cli_fix = fix.replace("step=", "--step ").replace("method=", "--method ").replace(
        "max_packages=", "--max-packages ").replace("coarser step", "coarser --step").replace(
        "with fix,", "with --fix,").replace("salience=", "--salience ").replace(
        "max_memory=", "--max-memory ").replace("capability=", "--capability ").replace(
        "use without", "use --without")
    assert cli_fix in " ".join(said.output.split()), said.output


def test_a_workbench_result_names_no_flag_in_its_notes(client: TestClient) -> None:
    # korea-2017 applies its mechanisms: the note said "--ignore leaves any of them out".
    response = client.post("/api/analyses/settle", json={"scenario": korea(),
                                                         "params": {"step": "50%"}})
    assert response.status_code == 200, response.text[:300]
    notes = response.json()["result"]["view"]["notes"]
    assert any("ignore leaves any of them out" in n for n in notes), notes
    assert not _flags_named(response.json()["result"]["view"]), notes


@pytest.mark.parametrize("seconds", [1e10, float("nan"), 0.0])
def test_limits_built_in_code_refuse_a_time_limit_no_timer_can_wait(seconds: float) -> None:
    # create_app(limits=ServerLimits(time_limit_s=1e10)) answered every job with a 500
    # (OverflowError in the timer thread): only `detente serve` checked the bound.
    with pytest.raises(detente.DetenteError, match="--time-limit"):
        ServerLimits(time_limit_s=seconds)
