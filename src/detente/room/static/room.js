// The room's page: reads its token from the link's fragment (never sent to a server),
// asks the API what this token may see, and shows it. All text is written as text.
"use strict";

const roomId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
let state = null;
let formFilled = false;

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

async function api(method, path, body) {
  const init = {method, headers: {"Authorization": "Bearer " + token}};
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch("/api/rooms/" + encodeURIComponent(roomId) + path, init);
  const data = await response.json().catch(() => ({detail: "unreadable answer"}));
  return {ok: response.ok, status: response.status, data};
}

function setStatus(text) { document.getElementById("status").textContent = text; }

function anchorLabel(issue, value) {
  const anchors = issue.anchors || [];
  let best = null;
  for (const a of anchors) {
    if (best === null || Math.abs(a.value - value) < Math.abs(best.value - value)) best = a;
  }
  return best ? best.label : "";
}

function render(data) {
  state = data;
  const room = data.room;
  document.body.dataset.role = data.role;
  document.body.dataset.round = room.round;
  document.getElementById("title").textContent = room.title + " (" + room.mode + ")";
  const parties = document.getElementById("parties");
  parties.replaceChildren(...room.parties.map(p => el("li",
    p.label + (p.submitted ? ": submitted" : ": waiting") + (p.revoked ? " (revoked)" : ""),
    {"data-party": p.label})));
  const waiting = room.parties.filter(p => !p.submitted).length;
  const proposal = data.proposal;
  let phase = "waiting";
  if (room.status === "closed") phase = "closed";
  else if (proposal) phase = "proposed";
  document.body.dataset.state = phase;
  if (phase === "closed") {
    setStatus("closed in round " + room.round +
      (proposal && proposal.accepted === proposal.parties ? ": every party accepted" : ""));
  } else if (phase === "proposed") {
    setStatus("round " + room.round + ": a proposal is on the table");
  } else {
    setStatus("round " + room.round + ": waiting for " + waiting + " of " +
      room.parties.length + " parties");
  }
  renderProposal(data);
  if (data.role === "party" && room.mode === "mediation") {
    document.getElementById("numbers-box").hidden = phase === "closed";
    if (!formFilled) fillForm(data);
  }
  document.getElementById("owner-box").hidden = data.role !== "owner";
}

function renderProposal(data) {
  const box = document.getElementById("proposal-box");
  const proposal = data.proposal;
  box.hidden = !proposal;
  if (!proposal) return;
  document.getElementById("proposal-round").textContent = "(round " + proposal.round + ")";
  const issues = data.scenario.issues;
  const body = document.querySelector("#package tbody");
  body.replaceChildren();
  if (proposal.zone_exists) {
    const rule = {nash: "best Nash product", maxmin: "max-min",
      bids: "every party's offers crossed: the midpoint of the overlap"}[proposal.objective];
    document.getElementById("proposal-summary").textContent =
      (proposal.objective === "bids" ? "The room closed on the bids: " :
        "A package every party prefers to walking away exists. The room proposes: ") +
      "(" + rule + ")";
    for (const issue of issues) {
      const value = proposal.package[issue.id];
      const row = el("tr", null, {"data-issue": issue.id});
      row.append(el("td", issue.name), el("td", value), el("td", anchorLabel(issue, value)));
      body.append(row);
    }
  } else {
    document.getElementById("proposal-summary").textContent =
      "No package exists that every party prefers to walking away. Parties may revise " +
      "their numbers.";
  }
  const gain = document.getElementById("my-gain");
  if (data.role === "party" && proposal.zone_exists && proposal.my_gain !== null) {
    gain.textContent = "Your gain from this package: " + proposal.my_gain.toFixed(2) +
      " utility points over the status quo.";
  } else {
    gain.textContent = "";
  }
  let answers = proposal.accepted + " of " + proposal.parties + " parties accepted";
  if (data.role === "party" && proposal.my_answer) answers += "; you: " + proposal.my_answer;
  if (data.role === "owner" && proposal.answers) {
    answers += " (" + Object.entries(proposal.answers)
      .map(([k, v]) => k + ": " + (v || "no answer yet")).join(", ") + ")";
  }
  document.getElementById("answers").textContent = answers;
  document.getElementById("answer-buttons").hidden = !(data.role === "party" &&
    proposal.zone_exists && data.room.status === "open");
}

function numberInput(loc, value, attrs) {
  const input = el("input", null, Object.assign({type: "number", step: "any",
    "data-loc": loc}, attrs || {}));
  if (value !== undefined && value !== null) input.value = value;
  return input;
}

function plain(v) { return (v !== null && typeof v === "object") ? v.value : v; }

function fillForm(data) {
  formFilled = true;
  const me = data.me.label;
  const mine = data.me.numbers || {stances: {}, trust: {}, walk_away: 0};
  const stances = document.querySelector("#stances tbody");
  stances.replaceChildren();
  for (const issue of data.scenario.issues) {
    const scale = issue.scale || {low: 0, high: 100};
    const own = mine.stances[issue.id] || {};
    const row = el("tr", null, {"data-issue": issue.id});
    const pos = el("td"); pos.append(numberInput(`stances.${issue.id}.position`,
      plain(own.position), {min: scale.low, max: scale.high}));
    const sal = el("td"); sal.append(numberInput(`stances.${issue.id}.salience`,
      plain(own.salience), {min: 0, max: 1}));
    row.append(el("td", issue.name), el("td", scale.low + "–" + scale.high), pos, sal);
    stances.append(row);
  }
  const trust = document.querySelector("#trust tbody");
  trust.replaceChildren();
  const others = [...data.scenario.actors, ...(data.scenario.institutions || [])]
    .filter(a => a.id !== me);
  for (const other of others) {
    const row = el("tr", null, {"data-who": other.id});
    const cell = el("td");
    cell.append(numberInput(`trust.${other.id}`, plain(mine.trust[other.id]),
      {min: 0, max: 1}));
    row.append(el("td", other.name), cell);
    trust.append(row);
  }
  document.getElementById("walk-away").value = mine.walk_away;
}

function collect() {
  const payload = {stances: {}, trust: {}, walk_away: 0};
  for (const row of document.querySelectorAll("#stances tbody tr")) {
    const issue = row.dataset.issue;
    const [pos, sal] = row.querySelectorAll("input");
    if (pos.value === "" && sal.value === "") continue;  // no stance: no stake in it
    payload.stances[issue] = {position: pos.value === "" ? null : Number(pos.value),
      salience: sal.value === "" ? null : Number(sal.value)};
  }
  for (const input of document.querySelectorAll("#trust input")) {
    if (input.value !== "") payload.trust[input.dataset.loc.split(".")[1]] = Number(input.value);
  }
  const walk = document.getElementById("walk-away").value;
  payload.walk_away = walk === "" ? 0 : Number(walk);
  return payload;
}

function showProblems(problems) {
  for (const node of document.querySelectorAll(".msg")) node.remove();
  for (const node of document.querySelectorAll(".bad")) node.classList.remove("bad");
  const list = el("ul");
  for (const p of problems || []) {
    const text = p.message + (p.fix ? " (" + p.fix + ")" : "");
    const input = document.querySelector(`[data-loc="${CSS.escape(p.location)}"]`);
    if (input) {
      input.classList.add("bad");
      input.after(el("span", text, {class: "msg"}));
    }
    list.append(el("li", (p.location ? p.location + ": " : "") + text));
  }
  document.getElementById("problems").replaceChildren(list);
}

async function refresh() {
  const answer = await api("GET", "");
  if (!answer.ok) {
    document.body.dataset.state = "refused";
    setStatus(answer.data.detail || "refused");
    return;
  }
  render(answer.data);
}

async function submitNumbers(event) {
  event.preventDefault();
  const answer = await api("POST", "/submission", collect());
  if (!answer.ok) {
    showProblems(answer.data.problems);
    setStatus("not submitted: " + (answer.data.detail || answer.status));
    return;
  }
  showProblems([]);
  render(answer.data);
}

async function respond(choice) {
  const answer = await api("POST", "/response", {round: state.room.round, answer: choice});
  if (!answer.ok) { setStatus(answer.data.detail || "refused"); return; }
  render(answer.data);
}

async function ownerAction(path) {
  const answer = await api("POST", path);
  if (!answer.ok) { setStatus(answer.data.detail || "refused"); return; }
  render(answer.data);
}

async function exportRecord() {
  const answer = await api("GET", "/export");
  if (!answer.ok) { setStatus(answer.data.detail || "refused"); return; }
  const blob = new Blob([JSON.stringify(answer.data, null, 2)], {type: "application/json"});
  const link = el("a", null, {href: URL.createObjectURL(blob),
    download: "room-" + roomId + ".json"});
  document.body.append(link);
  link.click();
  link.remove();
}

document.getElementById("numbers").addEventListener("submit", submitNumbers);
document.getElementById("accept").addEventListener("click", () => respond("accept"));
document.getElementById("reject").addEventListener("click", () => respond("reject"));
document.getElementById("propose").addEventListener("click", () => ownerAction("/propose"));
document.getElementById("close-room").addEventListener("click", () => ownerAction("/close"));
document.getElementById("export").addEventListener("click", exportRecord);
if (!token) {
  setStatus("this page needs the link you were given (it ends in #token=…)");
  document.body.dataset.state = "refused";
} else {
  refresh().then(() => { document.body.dataset.ready = "true"; });
  setInterval(refresh, 1500);
}
