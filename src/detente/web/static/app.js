// detente workbench: one page over the JSON API (/openapi.json). No framework, no CDN.
// User text only ever reaches the page through textContent and input values.
"use strict";

const state = {
  info: null, scenario: null, source: "", problems: [], tab: "actors",
  runs: [], job: null, validateTimer: null, validation: 0,
};

// ---------------------------------------------------------------- helpers
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "value") node.value = value;
    else if (key === "checked") node.checked = !!value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  return { ok: response.ok, status: response.status, data };
}

function problemText(p) {
  const line = p.line ? ` (line ${p.line})` : "";
  return `${p.location || "file"}${line}: ${p.message}` + (p.fix ? ` — fix: ${p.fix}` : "");
}

function errorText(data) {
  if (data && Array.isArray(data.problems) && data.problems.length) {
    return data.problems.map(problemText).join("\n");
  }
  if (data && data.detail) return typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
  if (data && data.message) return data.message;
  return String(data);
}

function setStatus(text, bad) {
  const node = $("status");
  node.textContent = text;
  node.classList.toggle("bad", !!bad);
}

function numberOrText(raw) {
  const text = raw.trim();
  if (text === "") return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : text;
}

function plain(value) {  // a number cell: 40 or {value: 40, note: ...}
  if (value && typeof value === "object" && "value" in value) return value.value;
  return value;
}

function setNumber(holder, key, raw) {
  const value = numberOrText(raw);
  const old = holder[key];
  if (old && typeof old === "object" && "value" in old && value !== null) old.value = value;
  else holder[key] = value;
}

function idLoc(list, item, index) {  // the loader names list items by id, else by index
  return typeof item.id === "string" && item.id !== "" ? `${list}.${item.id}` : `${list}[${index}]`;
}

// ---------------------------------------------------------------- scenario edits
const S = () => state.scenario;
const actors = () => (Array.isArray(S().actors) ? S().actors : []);
const issues = () => (Array.isArray(S().issues) ? S().issues : []);
const institutions = () => (Array.isArray(S().institutions) ? S().institutions : []);
const packages = () => (Array.isArray(S().packages) ? S().packages : []);

function renameKey(table, oldKey, newKey) {
  if (!table || typeof table !== "object" || !(oldKey in table) || oldKey === newKey) return;
  table[newKey] = table[oldKey];
  delete table[oldKey];
}

function renameInList(list, oldId, newId) {
  return Array.isArray(list) ? list.map((g) => (g === oldId ? newId : g)) : list;
}

function renameActor(oldId, newId) {
  const s = S();
  renameKey(s.stances, oldId, newId);
  renameKey(s.trust, oldId, newId);
  for (const row of Object.values(s.trust || {})) renameKey(row, oldId, newId);
  for (const issue of issues()) issue.guarantors = renameInList(issue.guarantors, oldId, newId);
  for (const p of packages()) {
    for (const key of Object.keys(p.guarantors || {})) p.guarantors[key] = renameInList(p.guarantors[key], oldId, newId);
  }
}

function renameIssue(oldId, newId) {
  const s = S();
  for (const row of Object.values(s.stances || {})) renameKey(row, oldId, newId);
  for (const p of packages()) { renameKey(p.values, oldId, newId); renameKey(p.guarantors, oldId, newId); }
  renameKey(s.outcomes, oldId, newId);
  for (const r of s.roadmaps || []) for (const st of r.stages || []) { renameKey(st.values, oldId, newId); renameKey(st.guarantors, oldId, newId); }
}

function removeActor(index) {
  const s = S();
  const [gone] = s.actors.splice(index, 1);
  if (!gone) return;
  if (s.stances) delete s.stances[gone.id];
  if (s.trust) { delete s.trust[gone.id]; for (const row of Object.values(s.trust)) if (row) delete row[gone.id]; }
  for (const issue of issues()) if (Array.isArray(issue.guarantors)) issue.guarantors = issue.guarantors.filter((g) => g !== gone.id);
}

function removeIssue(index) {
  const s = S();
  const [gone] = s.issues.splice(index, 1);
  if (!gone) return;
  for (const row of Object.values(s.stances || {})) if (row) delete row[gone.id];
  for (const p of packages()) if (p.values) delete p.values[gone.id];
  if (s.outcomes) delete s.outcomes[gone.id];
}

function freshId(prefix, taken) {
  let k = 1;
  while (taken.includes(`${prefix}${k}`)) k += 1;
  return `${prefix}${k}`;
}

// ---------------------------------------------------------------- table cells
function textCell(loc, value, onChange, cls) {
  return el("td", {}, el("input", {
    type: "text", "data-loc": loc, value: value ?? "", class: cls,
    "aria-label": loc, onchange: (e) => onChange(e.target.value), oninput: (e) => onChange(e.target.value, true),
  }));
}

function numberCell(loc, holder, key, extra) {
  return el("td", {}, el("input", {
    type: "text", inputmode: "decimal", class: "num", "data-loc": loc, "data-alt-loc": extra,
    "aria-label": loc, value: holder && holder[key] !== undefined && holder[key] !== null ? plain(holder[key]) : "",
    oninput: (e) => { setNumber(holder, key, e.target.value); edited(); },
  }));
}

function edited(structural) {
  if (structural) render();
  scheduleValidate();
}

function removeButton(label, action) {
  return el("td", {}, el("button", { type: "button", "aria-label": label, title: label, onclick: () => { action(); edited(true); } }, "✕"));
}

// ---------------------------------------------------------------- tabs
const TABS = [
  ["scenario", "Scenario"], ["actors", "Actors"], ["issues", "Issues"], ["anchors", "Anchors"],
  ["positions", "Positions"], ["saliences", "Saliences"], ["trust", "Trust"], ["packages", "Packages"],
];

const TAB_OF = (loc) => {
  if (/^stances\.[^.]+\.[^.]+\.salience/.test(loc)) return "saliences";
  if (loc.startsWith("stances")) return "positions";
  if (/^issues[.[][^.]*\.?anchors|\.anchors\[/.test(loc)) return "anchors";
  for (const [key, prefix] of [["actors", "actors"], ["issues", "issues"], ["trust", "trust"], ["packages", "packages"]]) {
    if (loc.startsWith(prefix)) return key;
  }
  return "scenario";
};

function renderTabs() {
  const nav = $("tabs");
  nav.replaceChildren(...TABS.map(([key, label]) => {
    const bad = state.problems.some((p) => TAB_OF(p.location) === key);
    return el("button", {
      type: "button", role: "tab", "aria-selected": key === state.tab ? "true" : "false",
      class: bad ? "has-problems" : null, "data-tab": key,
      onclick: () => { state.tab = key; render(); },
    }, label);
  }));
}

function renderScenarioTab() {
  const s = S();
  return el("table", {}, el("tbody", {},
    el("tr", {}, el("th", {}, "id"), textCell("id", s.id, (v) => { s.id = v; edited(); })),
    el("tr", {}, el("th", {}, "title"), textCell("title", s.title, (v) => { s.title = v; edited(); }, "wide")),
    el("tr", {}, el("th", {}, "as of"), textCell("as_of", s.as_of, (v) => { if (v) s.as_of = v; else delete s.as_of; edited(); })),
    el("tr", {}, el("th", {}, "trust default"), numberCell("trust_default", s, "trust_default")),
    el("tr", {}, el("th", {}, "description"), textCell("description", s.description, (v) => { s.description = v; edited(); }, "wide")),
  ));
}

function renderActors() {
  const rows = actors().map((a, k) => {
    const loc = idLoc("actors", a, k);
    return el("tr", {},
      textCell(`${loc}.id`, a.id, (v, typing) => { if (typing) return; renameActor(a.id, v); a.id = v; edited(true); }),
      textCell(`${loc}.name`, a.name, (v) => { a.name = v; edited(); }, "wide"),
      numberCell(`${loc}.capability`, a, "capability"),
      el("td", {}, el("input", { type: "checkbox", "aria-label": `${loc}.veto`, "data-loc": `${loc}.veto`, checked: a.veto !== false,
        onchange: (e) => { if (e.target.checked) delete a.veto; else a.veto = false; edited(); } })),
      removeButton(`remove actor ${a.id}`, () => removeActor(k)));
  });
  return el("div", {},
    el("table", {}, el("thead", {}, el("tr", {}, ["id", "name", "capability", "veto", ""].map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
    el("button", { type: "button", onclick: () => {
      const id = freshId("A", actors().map((a) => a.id));
      S().actors.push({ id, name: id, capability: 10 }); edited(true);
    } }, "Add actor"));
}

function renderIssues() {
  const rows = issues().map((issue, k) => {
    const loc = idLoc("issues", issue, k);
    issue.scale = issue.scale || {};
    return el("tr", {},
      textCell(`${loc}.id`, issue.id, (v, typing) => { if (typing) return; renameIssue(issue.id, v); issue.id = v; edited(true); }),
      textCell(`${loc}.name`, issue.name, (v) => { issue.name = v; edited(); }, "wide"),
      textCell(`${loc}.units`, issue.units, (v) => { issue.units = v; edited(); }),
      numberCell(`${loc}.scale.low`, issue.scale, "low", `issues[${k}].scale`),
      numberCell(`${loc}.scale.high`, issue.scale, "high"),
      numberCell(`${loc}.status_quo`, issue, "status_quo"),
      textCell(`${loc}.guarantors`, (issue.guarantors || []).join(", "), (v) => {
        issue.guarantors = v.split(",").map((g) => g.trim()).filter(Boolean); edited();
      }),
      removeButton(`remove issue ${issue.id}`, () => removeIssue(k)));
  });
  return el("div", {},
    el("table", {}, el("thead", {}, el("tr", {}, ["id", "name", "units", "scale low", "scale high", "status quo", "guarantors", ""].map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
    el("button", { type: "button", onclick: () => {
      const id = freshId("I", issues().map((i) => i.id));
      S().issues.push({ id, name: id, status_quo: 50 }); edited(true);
    } }, "Add issue"));
}

function renderAnchors() {
  const rows = [];
  issues().forEach((issue, k) => {
    const loc = idLoc("issues", issue, k);
    if (!Array.isArray(issue.anchors)) issue.anchors = issue.anchors ? Object.entries(issue.anchors).map(([v, l]) => ({ value: Number(v), label: l })) : [];
    issue.anchors.forEach((anchor, a) => {
      rows.push(el("tr", {}, el("td", {}, issue.id),
        numberCell(`${loc}.anchors[${a}]`, anchor, "value", `${loc}.anchors.${a}.value`),
        textCell(`${loc}.anchors[${a}].label`, anchor.label, (v) => { anchor.label = v; edited(); }, "wide"),
        removeButton(`remove anchor ${a} of ${issue.id}`, () => issue.anchors.splice(a, 1))));
    });
  });
  const pick = el("select", { "aria-label": "issue for a new anchor" }, issues().map((i) => el("option", { value: i.id }, i.id)));
  return el("div", {},
    el("table", {}, el("thead", {}, el("tr", {}, ["issue", "value", "label", ""].map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
    el("div", {}, pick, el("button", { type: "button", onclick: () => {
      const issue = issues().find((i) => i.id === pick.value);
      if (issue) { issue.anchors.push({ value: plain(issue.status_quo) ?? 0, label: "new anchor" }); edited(true); }
    } }, "Add anchor")));
}

function renderStances(field) {
  const s = S();
  s.stances = s.stances && typeof s.stances === "object" ? s.stances : {};
  const head = el("tr", {}, el("th", {}, field === "position" ? "position" : "salience (0–1)"), issues().map((i) => el("th", { title: i.name }, i.id)));
  const rows = actors().map((a) => el("tr", {}, el("th", { title: a.name }, a.id), issues().map((issue) => {
    const row = s.stances[a.id] || {};
    const stance = row[issue.id];
    const loc = `stances.${a.id}.${issue.id}.${field}`;
    return el("td", {}, el("input", {
      type: "text", inputmode: "decimal", class: "num", "data-loc": loc, "aria-label": loc,
      value: stance && stance[field] !== undefined && stance[field] !== null ? plain(stance[field]) : "",
      oninput: (e) => {
        const value = numberOrText(e.target.value);
        const table = (s.stances[a.id] = s.stances[a.id] || {});
        let target = table[issue.id];
        if (!target) target = table[issue.id] = {};
        if (value === null) delete target[field]; else setNumber(target, field, e.target.value);
        if (!("position" in target) && !("salience" in target)) delete table[issue.id];
        edited();
      },
    }));
  })));
  return el("div", {}, el("p", { class: "hint" }, "An empty row cell: the actor takes no stance on that issue."),
    el("table", {}, el("thead", {}, head), el("tbody", {}, rows)));
}

function renderTrust() {
  const s = S();
  s.trust = s.trust && typeof s.trust === "object" ? s.trust : {};
  const trusted = [...actors(), ...institutions()];
  const head = el("tr", {}, el("th", {}, "who trusts ↓ / whose promise →"), trusted.map((g) => el("th", { title: g.name }, g.id)));
  const rows = actors().map((a) => el("tr", {}, el("th", { title: a.name }, a.id), trusted.map((g) => {
    if (g.id === a.id) return el("td", { class: "self", title: "an actor believes its own promises" }, "1");
    const loc = `trust.${a.id}.${g.id}`;
    const row = s.trust[a.id] || {};
    return el("td", {}, el("input", {
      type: "text", inputmode: "decimal", class: "num", "data-loc": loc, "aria-label": loc,
      placeholder: String(s.trust_default ?? 1),
      value: row[g.id] !== undefined ? plain(row[g.id]) : "",
      oninput: (e) => {
        const table = (s.trust[a.id] = s.trust[a.id] || {});
        if (e.target.value.trim() === "") delete table[g.id]; else setNumber(table, g.id, e.target.value);
        if (!Object.keys(table).length) delete s.trust[a.id];
        edited();
      },
    }));
  })));
  return el("div", {}, el("p", { class: "hint" }, `An empty cell uses the default trust (${s.trust_default ?? 1}).`),
    el("table", {}, el("thead", {}, head), el("tbody", {}, rows)));
}

function renderPackages() {
  const s = S();
  const rows = packages().map((p, k) => {
    const loc = idLoc("packages", p, k);
    p.values = p.values || {};
    return el("tr", {},
      textCell(`${loc}.id`, p.id, (v, typing) => { if (!typing) { p.id = v; edited(true); } }),
      textCell(`${loc}.name`, p.name, (v) => { p.name = v; edited(); }, "wide"),
      issues().map((issue) => el("td", {}, el("input", {
        type: "text", inputmode: "decimal", class: "num", "data-loc": `${loc}.values.${issue.id}`, "aria-label": `${loc}.values.${issue.id}`,
        placeholder: "sq", value: p.values[issue.id] !== undefined ? plain(p.values[issue.id]) : "",
        oninput: (e) => { if (e.target.value.trim() === "") delete p.values[issue.id]; else setNumber(p.values, issue.id, e.target.value); edited(); },
      }))),
      removeButton(`remove package ${p.id}`, () => s.packages.splice(k, 1)));
  });
  return el("div", {}, el("p", { class: "hint" }, "An empty cell keeps the issue's status quo (sq)."),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "id"), el("th", {}, "name"), issues().map((i) => el("th", { title: i.name }, i.id)), el("th", {}, ""))), el("tbody", {}, rows)),
    el("button", { type: "button", onclick: () => {
      s.packages = packages();
      const id = freshId("P", s.packages.map((p) => p.id));
      s.packages.push({ id, name: id, values: {} }); edited(true);
    } }, "Add package"));
}

function render() {
  if (!state.scenario) return;
  renderTabs();
  const draw = {
    scenario: renderScenarioTab, actors: renderActors, issues: renderIssues, anchors: renderAnchors,
    positions: () => renderStances("position"), saliences: () => renderStances("salience"),
    trust: renderTrust, packages: renderPackages,
  }[state.tab];
  $("table-area").replaceChildren(draw());
  renderCounterfactualChoices();
  if (state.info) renderParams();
  showProblems();
}

// ---------------------------------------------------------------- validation
function scheduleValidate() {
  clearTimeout(state.validateTimer);
  state.validateTimer = setTimeout(validate, 250);
}

async function validate() {
  const ticket = ++state.validation;
  const { ok, data } = await api("POST", "/api/validate", { scenario: state.scenario });
  if (ticket !== state.validation) return;  // a newer edit is being checked
  state.problems = ok ? data.problems : (data.problems || [{ location: "", message: errorText(data) }]);
  if (ok && data.ok) setStatus(`valid — ${data.summary}`);
  else setStatus(`${state.problems.length} problem(s): fix the cells marked in red`, true);
  renderTabs();
  showProblems();
}

function parentLoc(loc) {
  const next = loc.replace(/(\.[^.[\]]*|\[\d+\])$/, "");
  return next === loc ? "" : next;
}

function cellFor(loc) {
  for (let at = loc; at; at = parentLoc(at)) {
    const found = document.querySelector(`[data-loc="${CSS.escape(at)}"], [data-alt-loc="${CSS.escape(at)}"]`);
    if (found) return found;
  }
  return null;
}

function showProblems() {
  document.querySelectorAll("td.bad").forEach((td) => td.classList.remove("bad"));
  document.querySelectorAll("#table-area .msg").forEach((m) => m.remove());
  const list = state.problems.map((p) => el("li", {
    onclick: () => { state.tab = TAB_OF(p.location); render(); const c = cellFor(p.location); if (c) c.focus(); },
  }, `${p.location || "scenario"}: ${p.message}`, p.fix ? el("span", { class: "fix" }, ` — fix: ${p.fix}`) : null));
  $("problems").replaceChildren(list.length ? el("ul", {}, list) : "");
  for (const p of state.problems) {
    const cell = cellFor(p.location);
    if (!cell) continue;
    const td = cell.closest("td");
    td.classList.add("bad");
    td.append(el("div", { class: "msg", role: "alert" }, p.message + (p.fix ? ` — ${p.fix}` : "")));
  }
  $("run").disabled = state.problems.length > 0;
}

// ---------------------------------------------------------------- loading
async function loadEmbedded(id) {
  const { ok, data } = await api("GET", `/api/scenarios/${encodeURIComponent(id)}`);
  if (!ok) { setStatus(errorText(data), true); return; }
  useScenario(data);
}

function useScenario(data) {
  state.scenario = data.scenario;
  state.source = data.source;
  state.problems = [];
  setStatus(`loaded ${data.source} — ${data.summary}`);
  render();
}

async function upload(file) {
  const limit = state.info.limits.max_upload_bytes;
  if (file.size > limit) {
    setStatus(`${file.name} is ${Math.ceil(file.size / 1024)} KiB; the workbench accepts files up to ${Math.floor(limit / 1024)} KiB`, true);
    return;
  }
  const text = await file.text();
  const { ok, data } = await api("POST", "/api/upload", { filename: file.name, text });
  if (!ok) { setStatus(`${file.name} was not loaded:\n${errorText(data)}`, true); return; }
  useScenario(data);
}

function saveFile(blob, name) {  // the browser's download of data the page holds
  const link = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function download(path, body, fallbackName) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) { setStatus(errorText(await response.json()), true); return; }
  const match = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
  saveFile(await response.blob(), match ? match[1] : fallbackName);
}

// ---------------------------------------------------------------- running
// One field per counterfactual flag, drawn from the flags' declaration in /api/info; what
// is typed goes as written to the library's one parser, which checks it.
function renderCounterfactualFields() {
  $("cf-fields").replaceChildren(...state.info.counterfactual.map((f) => el("label", { title: f.help }, f.name,
    el("input", { type: "text", "data-flag": f.name, "aria-label": `counterfactual ${f.name}`, placeholder: `e.g. ${f.example}` }),
    el("span", { class: "msg", role: "alert", "data-flag-msg": f.name }))));
}

function renderCounterfactualChoices() {  // the ids the counterfactual can name
  const ids = (list) => list.map((x) => x.id).join(" ") || "none";
  $("cf-ids").textContent = `Actors: ${ids(actors())}. Institutions: ${ids(institutions())}. Issues: ${ids(issues())}.`;
}

// Entries are separated by spaces or commas, except where the flag's own example has a
// comma (a guarantor list, SEC=CN,RU): there by spaces only.
function counterfactual() {
  const cf = {};
  for (const f of state.info.counterfactual) {
    const raw = document.querySelector(`[data-flag="${f.name}"]`).value;
    const entries = raw.split(f.example.includes(",") ? /\s+/ : /[\s,]+/).filter(Boolean);
    if (entries.length) cf[f.name] = entries;
  }
  return Object.keys(cf).length ? cf : null;
}

// Problems located at counterfactual.FLAG (by the parser, or the request's entry limits)
// are shown at the flag's field as well as in the run message.
function markCounterfactual(problems) {
  for (const f of state.info.counterfactual) {
    const own = problems.filter((p) => (p.location || "").match(/(?:^|\.)counterfactual\.([a-z]+)/)?.[1] === f.name);
    document.querySelector(`[data-flag="${f.name}"]`).setAttribute("aria-invalid", own.length ? "true" : "false");
    document.querySelector(`[data-flag-msg="${f.name}"]`).textContent = own.map((p) => p.message + (p.fix ? ` — ${p.fix}` : "")).join("; ");
  }
  if (problems.some((p) => /(?:^|\.)counterfactual\./.test(p.location || ""))) $("counterfactual").open = true;
}

function runRequest() {
  const analysis = $("analysis").value;
  const request = { analysis, scenario: state.scenario, params: {} };
  // The shared controls go only to an analysis that takes them: the API refuses a seed or
  // models a run would not use (a single-model analysis has its model among the params).
  const meta = state.info.analyses.find((a) => a.name === analysis);
  if (meta.shared.includes("seed")) request.seed = Number($("seed").value || 0);
  if (meta.shared.includes("model")) request.models = [...$("models").querySelectorAll("input:checked")].map((i) => i.value);
  for (const input of $("params").querySelectorAll("[data-param]")) {
    const raw = input.value.trim();
    if (raw === "") continue;  // the analysis's own default
    // Values go as typed: the analysis's spec reads and checks them (same words as the CLI).
    request.params[input.dataset.param] = input.dataset.multiple ? raw.split(/[\s,]+/).filter(Boolean) : raw;
  }
  const cf = counterfactual();
  if (cf) request.counterfactual = cf;
  return request;
}

function runMessage(text, bad) {
  const node = $("run-message");
  node.textContent = text;
  node.classList.toggle("bad", !!bad);
}

async function run(event) {
  event.preventDefault();
  if (state.job) return;
  const request = runRequest();
  runMessage("starting…");
  const { ok, data } = await api("POST", "/api/jobs", request);
  markCounterfactual(ok ? [] : data.problems || []);
  if (!ok) { runMessage(errorText(data), true); return; }
  state.job = data.id;
  $("run").disabled = true;
  $("cancel").hidden = false;
  $("progress").hidden = false;
  $("progress").removeAttribute("value");
  await poll(request);
}

async function poll(request) {
  while (state.job) {
    const { ok, data } = await api("GET", `/api/jobs/${state.job}`);
    if (!ok) { finishJob(); runMessage(errorText(data), true); return; }
    if (data.progress !== null && data.progress !== undefined) $("progress").value = data.progress;
    runMessage(`${data.status}${data.message && data.message !== data.status ? ": " + data.message : ""} (${data.elapsed_s.toFixed(1)} s)`, data.status === "failed");
    if (!["queued", "running"].includes(data.status)) {
      finishJob();
      if (data.status === "done") addRun(request, data);
      else { markCounterfactual(data.problems || []); runMessage(`${data.status}: ${errorText(data)}`, true); }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function finishJob() {
  state.job = null;
  $("run").disabled = state.problems.length > 0;
  $("cancel").hidden = true;
  $("progress").hidden = true;
}

async function cancel() {
  if (!state.job) return;
  const id = state.job;
  state.job = null;
  const { data } = await api("DELETE", `/api/jobs/${id}`);
  finishJob();
  runMessage(`cancelled after ${data.elapsed_s ? data.elapsed_s.toFixed(1) : "?"} s`);
}

function addRun(request, job) {
  if (request.analysis === "report") {
    const data = job.result.data;
    saveFile(new Blob([data.html], { type: "text/html" }), data.filename);
    runMessage(`report ready (${job.elapsed_s.toFixed(1)} s): ${data.filename}`);
    return;
  }
  const n = state.runs.length + 1;
  const view = job.result.view;
  const label = `#${n} ${request.analysis}` + (view.counterfactual ? ` (${view.counterfactual})` : "") + ` — ${new Date().toLocaleTimeString()}`;
  state.runs.push({ n, label, view });
  runMessage(`done in ${job.elapsed_s.toFixed(1)} s`);
  $("result").replaceChildren(renderView(view, label));
  renderRuns();
}

function renderRuns() {
  $("runs").replaceChildren(...state.runs.map((r) => el("li", {}, el("label", {},
    el("input", { type: "checkbox", value: r.n, "aria-label": `compare run ${r.n}`, onchange: renderCompare }), r.label))));
}

function renderCompare() {
  const ticked = [...$("runs").querySelectorAll("input:checked")].map((i) => Number(i.value));
  if (ticked.length !== 2) { $("compare").replaceChildren(ticked.length > 2 ? el("p", { class: "hint" }, "Tick exactly two runs.") : ""); return; }
  const [a, b] = ticked.map((n) => state.runs.find((r) => r.n === n));
  $("compare").replaceChildren(el("h3", {}, "Side by side"), el("div", { class: "pair" }, renderView(a.view, a.label, b.view), renderView(b.view, b.label, a.view)));
}

function renderView(view, label, other) {
  const tables = view.tables.map((t, k) => {
    const twin = other && other.tables[k] && other.tables[k].title === t.title ? other.tables[k] : null;
    return el("div", { class: "scroll" }, el("h3", {}, t.title), el("table", {},
      el("thead", {}, el("tr", {}, t.columns.map((c) => el("th", {}, c)))),
      el("tbody", {}, t.rows.map((row, r) => el("tr", {}, row.map((cell, c) => {
        const changed = twin && twin.rows[r] && String(twin.rows[r][c]) !== String(cell);
        return el("td", { class: changed ? "changed" : null }, cell === null ? "–" : cell);
      }))))));
  });
  return el("div", { class: "view", "data-label": label },
    el("p", {}, el("strong", {}, label)),
    el("p", {}, [view.title, view.summary].filter(Boolean).join(" — ")),
    view.counterfactual ? el("p", { class: "cf" }, `Counterfactual: ${view.counterfactual}`) : null,
    (view.notes || []).map((n) => el("p", { class: "note" }, n)),
    tables,
    (view.figures || []).map((f) => el("figure", {}, el("img", { src: `data:image/png;base64,${f.png}`, alt: f.title }), el("figcaption", {}, f.title))));
}

function shown(value) {
  if (value === null || value === undefined) return "";
  return Array.isArray(value) ? value.join(" ") : String(value);
}

// One field per option of the analysis, drawn from its declaration in /api/info (the
// registry's: same default, bounds and choices as the command line).
function renderParams() {
  const meta = state.info.analyses.find((a) => a.name === $("analysis").value);
  if (!meta) return;
  const old = Object.fromEntries([...$("params").querySelectorAll("[data-param]")].map((i) => [i.dataset.param, i.value]));
  const fields = meta.options.filter((p) => !meta.shared.includes(p.name)).map((p) => {
    const label = p.label;
    const hint = [p.help, p.unit && `Unit: ${p.unit}.`].filter(Boolean).join(" ");
    const attrs = { "data-param": p.name, "data-multiple": p.multiple ? "yes" : null, "aria-label": label, title: hint || null };
    let input;
    if ((p.choices.length && !p.multiple) || p.type === "bool") {
      const choices = p.type === "bool" ? ["true", "false"] : p.choices;
      const blank = p.default === null ? [el("option", { value: "" }, "default")] : [];
      input = el("select", attrs, blank, choices.map((c) => el("option", { value: c }, c)));
      input.value = shown(p.default);
    } else {
      input = el("input", { ...attrs, type: "text", inputmode: p.type === "int" || p.type === "float" ? "decimal" : null,
        placeholder: p.default === null ? "default" : "", value: shown(p.default) });
    }
    if (old[p.name] !== undefined && (input.tagName !== "SELECT" || [...input.options].some((o) => o.value === old[p.name]))) input.value = old[p.name];
    return el("label", {}, label, " ", input);
  });
  $("params").replaceChildren(...fields);
  const usesModels = meta.shared.includes("model");
  $("analysis-hint").textContent = meta.summary + (usesModels ? "" : " The models ticked do not apply (choose the model among the options, if any).");
  $("models").disabled = !usesModels;
  $("seed").disabled = !meta.shared.includes("seed");
}

// ---------------------------------------------------------------- start
function renderRunForm() {
  const info = state.info;
  $("analysis").replaceChildren(...info.analyses.map((a) => el("option", { value: a.name, title: a.summary }, a.title)));
  $("models").replaceChildren(el("legend", {}, "Models"), ...info.models.map((m) => el("label", { title: `${m.title} — ${m.reference}` },
    el("input", { type: "checkbox", value: m.name, checked: info.default_models.includes(m.name) }), m.name)));
  renderCounterfactualFields();
  $("analysis").addEventListener("change", renderParams);
  renderParams();
}

async function start() {
  const info = await api("GET", "/api/info");
  state.info = info.data;
  renderRunForm();
  const list = await api("GET", "/api/scenarios");
  const pick = $("scenario-pick");
  pick.replaceChildren(...list.data.map((s) => el("option", { value: s.id }, `${s.id} — ${s.title}`)));
  pick.value = state.info.initial_scenario;
  pick.addEventListener("change", () => loadEmbedded(pick.value));
  $("upload").addEventListener("change", (e) => { if (e.target.files[0]) upload(e.target.files[0]); e.target.value = ""; });
  $("download-yaml").addEventListener("click", () => download("/api/export/yaml", { scenario: state.scenario }, "scenario.yaml"));
  $("run-form").addEventListener("submit", run);
  $("download-report").addEventListener("click", (event) => {
    $("analysis").value = "report";
    renderParams();
    run(event);
  });
  $("cancel").addEventListener("click", cancel);
  await loadEmbedded(state.info.initial_scenario);
  document.body.dataset.ready = "true";
}

start();
