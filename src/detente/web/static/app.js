// detente workbench: one page over the JSON API (/openapi.json). No framework, no CDN.
// User text only ever reaches the page through textContent and input values.
"use strict";

const state = {
  info: null, schema: null, scenario: null, problems: [], tab: "actors",
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

async function api(method, path, body) {  // body: sent as JSON (JSON.stringify(undefined): none)
  const headers = body === undefined ? {} : { "Content-Type": "application/json" };
  const response = await fetch(path, { method, headers, body: JSON.stringify(body) });
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  return { ok: response.ok, data, headers: response.headers };
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

// The status line's and the run's message setters: the text, in red when bad.
const messageAt = (id) => (text, bad) => {
  $(id).textContent = text;
  $(id).classList.toggle("bad", !!bad);
};
const setStatus = messageAt("status");
const runMessage = messageAt("run-message");

const numberOrText = (raw) => (raw.trim() === "" ? null : Number.isFinite(Number(raw)) ? Number(raw) : raw.trim());
const plain = (value) => (value && typeof value === "object" && "value" in value ? value.value : value);  // 40 or {value: 40, ...}

function idLoc(list, item, index) {  // the loader names list items by id, else by index
  return typeof item.id === "string" && item.id !== "" ? `${list}.${item.id}` : `${list}[${index}]`;
}

// ---------------------------------------------------------------- the format's declaration
// The tables are drawn from the scenario's JSON Schema (GET /api/schema, made from
// detente.scenario.schema): a column per property, its description as the header's tooltip.
const resolve = (node) => (node && node.$ref ? state.schema.$defs[node.$ref.split("/").pop()] : node);
const LONG_TEXT = ["description", "note"];  // unreadable in a one-line cell: only the Scenario tab shows them

// How a value is edited in one cell (a number, written plainly or as a Measure with a note);
// null: not in one cell (a list of objects or of free text, a mapping, an optional sub-object).
function kindOf(node) {
  const [def, more] = (node.anyOf || [node]).filter((n) => n.type !== "null").map(resolve);
  if (more) return more.title === "Measure" ? "number" : null;
  if (def.type === "number" || def.type === "integer") return "number";
  if (def.type === "array") return def.items && (def.items.pattern || def.items.type === "number") ? "list" : null;
  return { string: "text", boolean: "check" }[def.type] || null;
}

// A column per property; a small object of scalars (an issue's scale) gets one per field.
function columns(def, withLongText, inner = []) {
  return Object.entries(def.properties).filter(([field]) => withLongText || !LONG_TEXT.includes(field)).flatMap(([field, prop]) => {
    const kind = kindOf(prop);
    const sub = resolve(prop);
    if (kind) {
      return [{ field, inner, kind, help: prop.description, label: [...inner, field].join(" ").replace(/_/g, " "),
        required: (def.required || []).includes(field), fallback: prop.default }];
    }
    if (!prop.$ref || !sub.properties || !Object.values(sub.properties).every(kindOf)) return [];
    return columns(sub, withLongText, [field]).map((c) => ({ ...c, help: c.help || prop.description }));
  });
}

function schemaAt(names) {  // ["issues", "anchors"]: the declaration of an issue's anchor
  return names.reduce((node, name) => {  // anchors are a list, or a mapping read as one
    const prop = resolve(node.properties[name]);
    return resolve(((prop.anyOf || [prop]).find((choice) => choice.items) || prop).items) || prop;
  }, state.schema);
}

// ---------------------------------------------------------------- scenario edits
const S = () => state.scenario;
const items = (list) => (Array.isArray(S()[list]) ? S()[list] : []);
const actors = () => items("actors");
const issues = () => items("issues");
const institutions = () => items("institutions");

// Where each list's ids stand, as the format declares it (x-refers: the ids a field holds, or
// a mapping's values; x-keys: a mapping's keys, level by level; x-id-lists: the lists a kind
// of id names, e.g. a guarantor is an actor or an institution): paths whose "*" is every
// entry and "{}" a mapping's keys.
function referencePaths(node = state.schema, path = [], found = {}) {
  const add = (kind, at) => state.schema["x-id-lists"][kind].forEach((list) => (found[list] = found[list] || []).push(at));
  if (node["x-refers"]) add(node["x-refers"], node.additionalProperties ? [...path, "*"] : path);
  (node["x-keys"] || []).forEach((kind, depth) => add(kind, [...path, ...Array(depth).fill("*"), "{}"]));
  const inner = resolve(node);
  for (const choice of inner.anyOf || []) referencePaths(resolve(choice), path, found);
  for (const [name, prop] of Object.entries(inner.properties || {})) referencePaths(prop, [...path, name], found);
  for (const part of [inner.items, inner.additionalProperties]) if (part && typeof part === "object") referencePaths(part, [...path, "*"], found);
  return found;
}

// Renames oldId to newId (null: removes it) wherever the list's ids are used; a lone id left
// by a removal (a link's actor) stays, for the validation to point at.
function retarget(list, oldId, newId) {
  const visit = (node, [step, ...rest]) => {
    if (!node || typeof node !== "object") return;
    if (step === "{}") {  // every key re-added in order, so that the renamed one keeps its place
      if (oldId in node) {
        for (const [key, value] of Object.entries(node)) {
          delete node[key];
          if (key !== oldId || newId !== null) node[key === oldId ? newId : key] = value;
        }
      }
      return;
    }
    for (const key of step === "*" ? Object.keys(node) : [step]) {
      if (rest.length) visit(node[key], rest);
      else if (Array.isArray(node[key])) node[key] = node[key].flatMap((id) => (id !== oldId ? [id] : newId === null ? [] : [newId]));
      else if (node[key] === oldId && newId !== null) node[key] = newId;
    }
  };
  for (const path of referencePaths()[list] || []) visit(S(), path);
}

// The object at keys below the scenario: made where missing when create, else {} stands in.
function at(keys, create) {
  let node = S();
  for (const key of keys) {
    if (!node[key] || typeof node[key] !== "object") {
      if (!create) return {};
      node[key] = {};
    }
    node = node[key];
  }
  return node;
}

// Writes a value, keeping a number's note; undefined removes it, and with prune also the
// mappings it leaves with no entry but a note (a trust row, a stance without numbers).
function put(keys, key, value, prune) {
  const old = at(keys, false)[key];
  if (value === undefined) delete at(keys, false)[key];
  else if (old && typeof old === "object" && "value" in old) old.value = value;
  else at(keys, true)[key] = value;
  for (let depth = keys.length; value === undefined && prune && depth > 1 && Object.keys(at(keys.slice(0, depth), false)).every((k) => LONG_TEXT.includes(k)); depth--) {
    delete at(keys.slice(0, depth - 1), false)[keys[depth - 1]];
  }
}

function freshId(prefix) {  // used by no list, so that no two kinds of item share it
  const taken = Object.keys(referencePaths()).flatMap((list) => items(list).map((item) => item.id));
  let k = 1;
  while (taken.includes(`${prefix}${k}`)) k += 1;
  return `${prefix}${k}`;
}

// ---------------------------------------------------------------- table cells
// One cell editing at(keys)[key]: text, number, check or list (comma separated); rename: the
// list whose id this is, renamed wherever it is used.
function input(kind, loc, keys, key, { required, fallback, prune, placeholder, rename } = {}) {
  const value = at(keys, false)[key];
  const read = (target) => {
    const list = kind === "list" ? target.value.split(",").map(numberOrText).filter((v) => v !== null) : [];
    if (kind === "check") return target.checked === fallback ? undefined : target.checked;
    if (kind === "list") return list.length ? list : undefined;
    if (kind === "number") return numberOrText(target.value) ?? undefined;
    return target.value === "" && !required ? undefined : target.value;
  };
  return el("td", {}, el("input", {
    type: kind === "check" ? "checkbox" : "text", "data-loc": loc, "aria-label": loc, checked: kind === "check" && (value ?? fallback),
    value: kind === "check" ? null : kind === "list" ? (value || []).join(", ") : plain(value) ?? "",
    class: kind === "number" ? "num" : kind === "text" && key !== "id" && !fallback ? "wide" : null,  // not for ids, units
    inputmode: kind === "number" ? "decimal" : null,
    placeholder: placeholder ?? (kind === "check" || typeof fallback === "object" ? null : fallback), title: value && typeof value === "object" ? value.note : null,
    [kind === "check" || rename ? "onchange" : "oninput"]: (e) => {
      // Onto an id in use: no retargeting, which would merge the two items' data for good;
      // the validation names the duplicate, and renaming back restores both.
      if (rename && !items(rename).some((item) => item.id === e.target.value)) retarget(rename, value, e.target.value);
      put(keys, key, read(e.target), prune);
      edited(!!rename);
    },
  }));
}

function edited(structural) {
  if (structural) render();
  scheduleValidate();
}

function removeButton(label, action) {
  return el("td", {}, el("button", { type: "button", "aria-label": label, title: label, onclick: () => { action(); edited(true); } }, "✕"));
}

const header = (column) => el("th", { title: column.help }, column.label);
const table = (heads, rows) => el("table", {}, el("thead", {}, el("tr", {}, ...heads)), el("tbody", {}, rows));

// ---------------------------------------------------------------- tables
// A list of objects: a row per item, a column per property of the item's declaration. within:
// the list is a field of each item of that list (an issue's anchors); keyed: a mapping of
// the item's, a column per issue (a package's values); seed: what a new item needs.
function objectTable({ key, within, keyed, hint, seed = () => ({}) }) {
  const def = schemaAt(within ? [within, key] : [key]);
  const cols = columns(def);
  const lists = within ? items(within).map((owner, n) => ({ keys: [within, n, key], listLoc: `${idLoc(within, owner, n)}.${key}`, owner }))
    : [{ keys: [key], listLoc: key }];
  const rows = lists.flatMap(({ keys, listLoc, owner }) => {
    const list = at(keys, false);
    return (Array.isArray(list) ? list : []).map((item, k) => {
      const loc = idLoc(listLoc, item, k);
      return el("tr", {}, owner && el("td", {}, owner.id),
        cols.map((c) => input(c.kind, [loc, ...c.inner, c.field].join("."), [...keys, k, ...c.inner], c.field, { ...c, rename: c.field === "id" && key })),
        (keyed ? issues() : []).map((i) => input("number", `${loc}.${keyed}.${i.id}`, [...keys, k, keyed], i.id, { placeholder: "sq" })),
        removeButton(`remove ${loc}`, () => retarget(key, list.splice(k, 1)[0].id, null)));
    });
  });
  const pick = within && el("select", { "aria-label": `${schemaAt([within]).title.toLowerCase()} for a new ${def.title.toLowerCase()}` }, items(within).map((o, n) => el("option", { value: n }, o.id)));
  const add = () => {
    const parent = within ? items(within)[pick.value] : S();
    if (!parent) return;
    if (!Array.isArray(parent[key])) parent[key] = [];
    const id = freshId(def.title[0]);
    parent[key].push({ ...(def.properties.id && { id, name: id }), ...seed(parent) });
    edited(true);
  };
  return el("div", {}, hint && el("p", { class: "hint" }, hint),
    table([within && el("th", {}, schemaAt([within]).title.toLowerCase()), cols.map(header),
      (keyed ? issues() : []).map((i) => el("th", { title: i.name }, i.id)), el("th", {}, "")], rows),
    el("div", {}, pick, el("button", { type: "button", onclick: add }, `Add ${def.title.toLowerCase()}`)));
}

// A table keyed by two lists of ids (stances, trust); cell(row, column): [location, keys, key].
function matrix({ corner, help, hint, rows, cols, cell, self, placeholder }) {
  return el("div", {}, el("p", { class: "hint" }, hint), table(
    [el("th", { title: help }, corner), cols.map((c) => el("th", { title: c.name }, c.id))],
    rows.map((r) => el("tr", {}, el("th", { title: r.name }, r.id), cols.map((c) => (self && r.id === c.id
      ? el("td", { class: "self", title: self }, "1")
      : input("number", ...cell(r, c), { placeholder, prune: true })))))));
}

const stances = (field) => matrix({
  corner: field, help: state.schema.$defs.Stance.properties[field].description, rows: actors(), cols: issues(),
  hint: "An empty row cell: the actor takes no stance on that issue.",
  cell: (a, i) => [`stances.${a.id}.${i.id}.${field}`, ["stances", a.id, i.id], field],
});

function trust() {
  const fallback = S().trust_default ?? state.schema.properties.trust_default.default;
  return matrix({
    corner: "who trusts ↓ / whose promise →", help: state.schema.properties.trust.description, rows: actors(),
    cols: [...actors(), ...institutions()], hint: `An empty cell uses the default trust (${fallback}).`,
    cell: (a, g) => [`trust.${a.id}.${g.id}`, ["trust", a.id], g.id], self: "an actor believes its own promises", placeholder: String(fallback),
  });
}

// ---------------------------------------------------------------- tabs
const middle = ({ low, high }) => (low + high) / 2;  // of the scale a new issue has by default
const TABS = [  // a tab without draw is the list of its key's name
  { key: "scenario", draw: () => el("table", {}, el("tbody", {}, columns(state.schema, true).map((c) =>
    el("tr", {}, header(c), input(c.kind, c.field, [], c.field, c))))) },
  { key: "actors", seed: () => ({ capability: 10 }) },
  { key: "institutions" },
  { key: "issues", seed: () => ({ status_quo: middle(schemaAt(["issues"]).properties.scale.default) }) },
  { key: "anchors", within: "issues", seed: (issue) => ({ value: plain(issue.status_quo) ?? 0, label: "new anchor" }) },
  { key: "positions", draw: () => stances("position") },
  { key: "saliences", draw: () => stances("salience") },
  { key: "trust", draw: trust },
  { key: "packages", keyed: "values", seed: () => ({ values: {} }), hint: "An empty cell keeps the issue's status quo (sq)." },
];

function tabOf(loc) {
  if (/^stances\.[^.]+\.[^.]+\.salience/.test(loc)) return "saliences";
  if (/^stances\b/.test(loc)) return "positions";
  if (/^issues\b.*\banchors\b/.test(loc)) return "anchors";
  const head = (/^[a-z_]+/.exec(loc || "") || [""])[0];
  return TABS.some((t) => t.key === head) ? head : "scenario";
}

function renderTabs() {
  $("tabs").replaceChildren(...TABS.map(({ key }) => el("button", {
    type: "button", role: "tab", "aria-selected": key === state.tab ? "true" : "false", "data-tab": key,
    class: state.problems.some((p) => tabOf(p.location) === key) ? "has-problems" : null,
    onclick: () => { state.tab = key; render(); },
  }, key[0].toUpperCase() + key.slice(1))));
}

function render() {
  if (!state.scenario) return;
  const tab = TABS.find((t) => t.key === state.tab);
  $("table-area").replaceChildren(tab.draw ? tab.draw() : objectTable(tab));
  const ids = (list) => list.map((x) => x.id).join(" ") || "none";  // the ids a counterfactual can name
  $("cf-ids").textContent = `Actors: ${ids(actors())}. Institutions: ${ids(institutions())}. Issues: ${ids(issues())}.`;
  showProblems();
}

// ---------------------------------------------------------------- validation
function scheduleValidate() {
  $("status").setAttribute("aria-busy", "true");  // until the latest edit is checked
  clearTimeout(state.validateTimer);
  state.validateTimer = setTimeout(validate, 250);
}

async function validate() {
  const ticket = ++state.validation;
  const { ok, data } = await api("POST", "/api/validate", { scenario: state.scenario });
  if (ticket !== state.validation) return;  // a newer edit is being checked
  $("status").removeAttribute("aria-busy");
  state.problems = ok ? data.problems : (data.problems || [{ location: "", message: errorText(data) }]);
  if (ok && data.ok) setStatus(`valid — ${data.summary}`);
  else setStatus(`${state.problems.length} problem(s): fix the cells marked in red`, true);
  showProblems();
}

function parentLoc(loc) {
  const next = loc.replace(/(\.[^.[\]]*|\[\d+\])$/, "");
  return next === loc ? "" : next;
}

// The cell of a location (a list item named by index is looked up by its id), else the first
// cell inside it (issues.NUC.scale: its low), else the nearest enclosing location's.
function cellFor(loc) {
  const byId = loc.replace(/^(\w+)\[(\d+)\]/, (whole, list, k) => (items(list)[k] && items(list)[k].id ? `${list}.${items(list)[k].id}` : whole));
  for (let place = byId; place; place = parentLoc(place)) {
    const found = $("table-area").querySelector(
      `[data-loc="${CSS.escape(place)}"], [data-loc^="${CSS.escape(place + ".")}"]`);
    if (found) return found;
  }
  return null;
}

// Shows each problem at the field fieldOf finds for its location (an input, or a group of
// them): marked invalid, its cell in red, the message and its fix beside it.
function markFields(area, problems, fieldOf) {
  area.querySelectorAll(".msg").forEach((m) => m.remove());
  area.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
  area.querySelectorAll("td.bad").forEach((td) => td.classList.remove("bad"));
  for (const p of problems) {
    const field = fieldOf(p.location || "");
    if (!field) continue;
    field.setAttribute("aria-invalid", "true");
    field.closest("td")?.classList.add("bad");
    const holder = field.closest("td, label") || field;  // a group (the models) holds its own
    holder.append(el("div", { class: "msg", role: "alert" }, p.message + (p.fix ? ` — ${p.fix}` : "")));
  }
}

function showProblems() {  // in the list, at the tabs and at the cells of this tab
  renderTabs();
  const list = state.problems.map((p) => el("li", {
    onclick: () => { state.tab = tabOf(p.location); render(); const c = cellFor(p.location); if (c) c.focus(); },
  }, `${p.location || "scenario"}: ${p.message}`, p.fix ? el("span", { class: "fix" }, ` — fix: ${p.fix}`) : null));
  $("problems").replaceChildren(list.length ? el("ul", {}, list) : "");
  const here = state.problems.filter((p) => tabOf(p.location) === state.tab);  // not another tab's cell inside it
  markFields($("table-area"), here, cellFor);
  setJob(state.job);  // Run: off while there are problems
}

// ---------------------------------------------------------------- loading
async function loadEmbedded(id) {
  useScenario(await api("GET", `/api/scenarios/${encodeURIComponent(id)}`));
}

// A scenario the server read (embedded or uploaded), else why it was not loaded.
function useScenario({ ok, data }, refused = "") {
  if (!ok) { setStatus(refused + errorText(data), true); return; }
  state.scenario = data.scenario;
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
  useScenario(await api("POST", "/api/upload", { filename: file.name, text }), `${file.name} was not loaded:\n`);
}

function saveFile(blob, name) {  // the browser's download of data the page holds
  const link = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function download(path, body, fallbackName) {
  const { ok, data, headers } = await api("POST", path, body);
  if (!ok) { setStatus(errorText(data), true); return; }
  const match = /filename="([^"]+)"/.exec(headers.get("content-disposition") || "");
  saveFile(new Blob([data], { type: headers.get("content-type") }), match ? match[1] : fallbackName);
}

// ---------------------------------------------------------------- running
const chosenAnalysis = () => state.info.analyses.find((a) => a.name === $("analysis").value);

// A run's problems at counterfactual.FLAG or params.NAME (the parser's, the spec's, or the
// request model's at body.…; deeper: one entry) are shown at that field too.
function markRunProblems(problems) {
  markFields($("run-form"), problems, (loc) => {
    const place = /^(?:body\.)?((?:counterfactual|params)\.\w+)/.exec(loc);
    return place && $("run-form").querySelector(`[data-loc="${place[1]}"]`);
  });
  if ($("cf-fields").querySelector("[aria-invalid]")) $("counterfactual").open = true;
}

function runRequest() {
  const meta = chosenAnalysis();
  const request = { analysis: meta.name, scenario: state.scenario, params: {} };
  // The shared controls fill the options of an analysis that has them (the API refuses an
  // option the analysis lacks; a single-model analysis has its model among its own fields).
  // The seed as typed (a Number would round one past 2^53); what the field cannot read is
  // sent as such, for the spec to refuse, never as 0.
  const seed = $("seed");
  if (meta.shared.includes("seed")) request.params.seed = seed.validity.badInput ? "(not a number)" : seed.value || "0";
  if (meta.shared.includes("model")) request.params.model = [...$("models").querySelectorAll("input:checked")].map((i) => i.value);
  for (const input of $("params").querySelectorAll("[data-param]")) {
    const raw = input.value.trim();
    if (raw === "") continue;  // the analysis's own default
    // Values go as typed: the analysis's spec reads and checks them (same words as the CLI).
    request.params[input.dataset.param] = input.dataset.multiple ? raw.split(/[\s,]+/).filter(Boolean) : raw;
  }
  // Counterfactual entries are separated by spaces or commas, except where the flag's own
  // example has a comma (a guarantor list, SEC=CN,RU): there by spaces only.
  const cf = {};
  for (const f of state.info.counterfactual) {
    const raw = $("cf-fields").querySelector(`[data-loc="counterfactual.${f.name}"]`).value;
    const entries = raw.split(f.example.includes(",") ? /\s+/ : /[\s,]+/).filter(Boolean);
    if (entries.length) cf[f.name] = entries;
  }
  if (Object.keys(cf).length) request.counterfactual = cf;
  return request;
}

async function run(event) {
  event.preventDefault();
  if (state.job) return;
  const request = runRequest();
  runMessage("starting…");
  const { ok, data } = await api("POST", "/api/jobs", request);
  markRunProblems(ok ? [] : data.problems || []);
  if (!ok) { runMessage(errorText(data), true); return; }
  setJob(data.id);
  $("progress").removeAttribute("value");
  await poll(data.id, request);
}

async function poll(id, request) {  // ends when the page stops waiting on this job
  while (state.job === id) {
    const { ok, data } = await api("GET", `/api/jobs/${id}`);
    if (state.job !== id) return;  // cancelled while asking
    if (!ok) { setJob(null); runMessage(errorText(data), true); return; }
    if (data.progress !== null && data.progress !== undefined) $("progress").value = data.progress;
    runMessage(`${data.status}${data.message && data.message !== data.status ? ": " + data.message : ""} (${data.elapsed_s.toFixed(1)} s)`);
    if (!["queued", "running"].includes(data.status)) {
      setJob(null);
      if (data.status === "done") addRun(request, data);
      else { markRunProblems(data.problems || []); runMessage(`${data.status}: ${errorText(data)}`, true); }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// The job the page waits on (null: none): Cancel and progress show while one runs, Run is off.
function setJob(id) {
  state.job = id;
  $("run").disabled = id !== null || state.problems.length > 0;
  $("cancel").hidden = id === null;
  $("progress").hidden = id === null;
}

async function cancel() {
  if (!state.job) return;
  const id = state.job;
  state.job = null;
  const { data } = await api("DELETE", `/api/jobs/${id}`);
  setJob(null);
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
  const view = { ...job.result.view, figures: job.result.data.figures };
  const label = `#${n} ${request.analysis}` + (view.counterfactual ? ` (${view.counterfactual})` : "") + ` — ${new Date().toLocaleTimeString()}`;
  state.runs.push({ n, label, view });
  runMessage(`done in ${job.elapsed_s.toFixed(1)} s`);
  $("result").replaceChildren(renderView(view, label));
  $("runs").append(el("li", {}, el("label", {},  // appended: the runs ticked stay ticked
    el("input", { type: "checkbox", value: n, "aria-label": `compare run ${n}`, onchange: renderCompare }), label)));
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
    return el("div", { class: "scroll" }, el("h3", {}, t.title), table(t.columns.map((c) => el("th", {}, c)),
      t.rows.map((row, r) => el("tr", {}, row.map((cell, c) => {
        const changed = twin && twin.rows[r] && String(twin.rows[r][c]) !== String(cell);
        return el("td", { class: changed ? "changed" : null }, cell === null ? "–" : cell);
      })))));
  });
  return el("div", { class: "view", "data-label": label },
    el("p", {}, el("strong", {}, label)),
    el("p", {}, [view.title, view.summary].filter(Boolean).join(" — ")),
    view.counterfactual ? el("p", { class: "cf" }, `Counterfactual: ${view.counterfactual}`) : null,
    (view.notes || []).map((n) => el("p", { class: "hint" }, n)),
    tables,
    (view.figures || []).map((f) => el("figure", {}, el("img", { src: `data:image/png;base64,${f.png}`, alt: f.title }), el("figcaption", {}, f.title))));
}

// One field per option of the analysis, drawn from its declaration in /api/info (the
// registry's: same default, bounds and choices as the command line). Drawn afresh for each
// analysis: a value left from another would run as if typed (its default, where the two differ).
function renderParams() {
  const meta = chosenAnalysis();
  if (!meta) return;
  const fields = meta.options.filter((p) => !meta.shared.includes(p.name)).map((p) => {
    const hint = [p.help, p.unit && `Unit: ${p.unit}.`].filter(Boolean).join(" ");
    const attrs = { "data-param": p.name, "data-loc": `params.${p.name}`, "data-multiple": p.multiple ? "yes" : null,
      "aria-label": p.label, title: hint || null };
    const choices = p.type === "bool" ? ["true", "false"] : p.multiple ? [] : p.choices;
    const field = choices.length
      ? el("select", attrs, p.default === null && el("option", { value: "" }, "default"),
        choices.map((c) => el("option", { value: c }, c)))
      : el("input", { ...attrs, type: "text", inputmode: p.type === "int" || p.type === "float" ? "decimal" : null,
        placeholder: p.default === null ? "default" : "" });
    field.value = [p.default ?? ""].flat().join(" ");  // a list as typed; a select's once its options are in
    return el("label", {}, p.label, " ", field);
  });
  $("params").replaceChildren(...fields);
  const usesModels = meta.shared.includes("model");
  $("analysis-hint").textContent = meta.summary + (usesModels ? "" : " The models ticked do not apply (choose the model among the options, if any).");
  $("models").disabled = !usesModels;
  // The shared models' problems at the group; a single-model analysis's at its own field.
  $("models").dataset.loc = usesModels ? "params.model" : "";
  $("seed").disabled = !meta.shared.includes("seed");
}

// ---------------------------------------------------------------- start
// The run form, drawn from /api/info: the analyses, the models, and one field per
// counterfactual flag (its declaration's), whose text goes as typed to the library's one
// parser, which checks it.
function renderRunForm() {
  const info = state.info;
  $("analysis").replaceChildren(...info.analyses.map((a) => el("option", { value: a.name, title: a.summary }, a.title)));
  $("models").append(...info.models.map((m) => el("label", { title: `${m.title} — ${m.reference}` },
    el("input", { type: "checkbox", value: m.name, checked: info.default_models.includes(m.name) }), m.name)));
  $("cf-fields").replaceChildren(...info.counterfactual.map((f) => el("label", { title: f.help }, f.name,
    el("input", { type: "text", "data-loc": `counterfactual.${f.name}`, "aria-label": `counterfactual ${f.name}`,
      placeholder: `e.g. ${f.example}` }))));
  $("analysis").addEventListener("change", renderParams);
  renderParams();
}

async function start() {  // the run form, the tables and the scenario list are drawn from these
  const [info, schema, list] = await Promise.all(["/api/info", "/api/schema", "/api/scenarios"].map((path) => api("GET", path)));
  const failed = [info, schema, list].find((answer) => !answer.ok);
  if (failed) { setStatus(`the workbench could not start: ${errorText(failed.data)}`, true); return; }
  state.info = info.data;
  state.schema = schema.data;
  renderRunForm();
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
