// Yard operator console: the gate board, scan lanes and examination bays with their queues,
// the parking map by zone, and holds (place / lift).
import {
  ready, api, beijing, clearErrors, clearNotice, el, failed, lang, message, notify, onLive, refill,
  replace, requireFields, showErrors, signName, steadyWhileUsed, t, table, write,
} from "./common.js";

const layout = JSON.parse(document.getElementById("yard-layout").textContent);
const INSIDE = ["gated_in", "queued", "at_lane", "at_bay", "decided", "sealed", "parked", "departure_scheduled"];
let visits = [];

function visitStatus(v) {
  return el("span", { class: `badge visit-${v.status}` }, lang() === "zh" ? v.status_zh : t(`visit.${v.status}`));
}

/** Where dispatch can send a truck from: customs' lane and the live queues choose its
 *  station (a green or blue truck released goes straight to sealing). */
const DISPATCHABLE = ["gated_in", "queued", "at_lane"];

/** The next steps the visit's life allows (from the server's state machine), as buttons;
 *  first, where it applies, dispatch: the station the rules choose, with the reason. */
function visitActions(v) {
  const buttons = (layout.moves[v.status] || []).map((to) => el("button", {
    type: "button", class: "secondary small", "data-move": to,
    onclick: () => act(v, `/api/v1/visits/${v.id}/move`, { to }),
  }, t(`yard.move.${to}`)));
  if (DISPATCHABLE.includes(v.status)) {
    buttons.unshift(el("button", {
      type: "button", class: "primary small", "data-dispatch": v.id,
      onclick: () => act(v, `/api/v1/visits/${v.id}/dispatch`, null, dispatched),
    }, t("yard.dispatch")));
  }
  if (v.status === "sealed") {
    buttons.push(el("button", {
      type: "button", class: "secondary small", "data-park": v.id,
      onclick: () => act(v, `/api/v1/visits/${v.id}/parking`, null),
    }, t("yard.park")));
  }
  if (!v.fees_paid && v.status !== "pre_advised") {
    buttons.push(el("button", {
      type: "button", class: "secondary small", "data-fees": v.id,
      onclick: () => act(v, `/api/v1/visits/${v.id}/fees-paid`, null),
    }, t("yard.fees_paid")));
  }
  return buttons.length ? el("div", { class: "row-actions" }, buttons) : "—";
}

/** Where dispatch sent the truck and why, or what it waits for, from its answer. */
function dispatched(answer) {
  const sent = answer.data.dispatch || {};
  const zh = lang() === "zh";
  if (sent.station) return zh ? sent.station.reason_zh : sent.station.reason_en;
  if (sent.waiting_for) return t("yard.waiting_for", { what: zh ? sent.waiting_for.zh : sent.waiting_for.en });
  return t(`visit.${sent.status}`);
}

/** An action on a visit; the notice says `said(answer)` after the plate, else "done". */
async function act(visit, path, body, said = null) {
  clearNotice("gate-status");
  const answer = await api("POST", path, body);
  if (!answer.ok) return notify("gate-status", `${visit.plate}: ${failed(answer)}`, "error");
  notify("gate-status", said ? `${visit.plate}: ${said(answer)}` : t("yard.done", { plate: visit.plate }));
  await load(true);
}

function gateBoard() {
  const recent = visits
    .filter((v) => v.status !== "pre_advised")
    .sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1))
    .slice(0, 15);
  replace("gate-board", table("yard.gate_board", [
    ["field.plate", (v) => el("strong", { class: "plate" }, v.plate)],
    ["field.number", (v) => v.declaration_number || "—"],
    ["field.status", visitStatus],
    ["field.updated_at", (v) => beijing(v.updated_at)],
    ["field.holds", (v) => (v.active_holds
      ? el("span", { class: "badge badge-held" }, t("yard.on_hold", { count: v.active_holds }))
      : "—")],
    ["common.action", visitActions],
  ], recent));
  const expected = visits.filter((v) => v.status === "pre_advised");
  replace("expected", table("yard.expected", [
    ["field.plate", (v) => v.plate],
    ["field.number", (v) => v.declaration_number || "—"],
    ["field.created_at", (v) => beijing(v.created_at)],
  ], expected));
}

/** A lane or bay by its sign. */
const named = (resource) => signName(resource, resource.id);

function lanes() {
  const queue = (status, id) => visits.filter((v) => v.status === status && (!id || v.lane_id === id));
  const card = (resource, kind, status) => {
    const here = queue(status, resource.id);
    return el("li", { class: "resource" },
      el("h4", {}, named(resource), " ", el("small", { class: "resource-id" }, resource.id)),
      el("p", {}, t(`yard.${kind}`), resource.kind ? ` · ${t(`yard.lane_kind.${resource.kind}`)}` : ""),
      el("p", { class: "hours" }, t("yard.hours"), " ", (resource.hours || []).map((h) => h.join("–")).join(", ")),
      el("p", { class: "queue" }, t("yard.at_resource", { count: here.length }),
        here.length ? ` (${here.map((v) => v.plate).join(", ")})` : ""));
  };
  const waiting = queue("queued");
  replace("lanes",
    el("p", { class: "queue-total" }, t("yard.queued", { count: waiting.length }),
      waiting.length ? `: ${waiting.map((v) => v.plate).join(", ")}` : ""),
    el("ul", { class: "resources" },
      layout.scan_lanes.map((r) => card(r, "scan_lane", "at_lane")),
      layout.exam_bays.map((r) => card(r, "exam_bay", "at_bay"))));
}

function parkingMap() {
  const taken = new Map(visits.filter((v) => v.slot && INSIDE.includes(v.status)).map((v) => [v.slot.slot_id, v]));
  replace("parking", layout.parking_zones.map((zone) => {
    const used = zone.slots.filter((s) => taken.has(s)).length;
    return el("section", { class: `zone zone-${zone.kind}`, "aria-labelledby": `zone-${zone.id}` },
      el("h4", { id: `zone-${zone.id}` }, t(`yard.zone.${zone.kind}`),
        " ", el("span", { class: "count" }, t("yard.slots_used", { used, total: zone.slots.length }))),
      el("ol", { class: "slots", "aria-label": t(`yard.zone.${zone.kind}`) }, zone.slots.map((slot) => {
        const visit = taken.get(slot);
        return el("li", {
          class: visit ? "slot taken" : "slot",
          title: visit ? `${slot} · ${visit.plate}` : slot,
        }, visit ? el("span", { class: "visually-hidden" }, `${slot} ${visit.plate}`) : null);
      })));
  }));
}

function holds() {
  const inside = visits.filter((v) => INSIDE.includes(v.status));
  const select = document.getElementById("hold-visit");
  refill(select, el("option", { value: "" }, t("common.choose")),
    inside.map((v) => el("option", { value: v.id }, `${v.plate} · ${v.declaration_number || ""}`)));
  const rows = [];
  for (const v of visits) for (const h of v.hold_reasons || []) rows.push({ visit: v, hold: h });
  replace("holds", table("yard.active_holds", [
    ["field.plate", (r) => r.visit.plate],
    ["field.kind", (r) => t(`hold.${r.hold.kind}`)],
    ["field.reason", (r) => r.hold.reason],
    ["field.placed_at", (r) => `${beijing(r.hold.placed_at)} · ${r.hold.placed_by}`],
    ["common.action", (r) => el("button", {
      type: "button", class: "secondary", "data-lift": r.hold.hold_id,
      onclick: () => liftHold(r.visit.id, r.hold.hold_id),
    }, t("yard.lift"))],
  ], rows, "yard.no_holds"));
}

let drawBoard = () => gateBoard();

/** `now`: after the operator's own action (drawn at once); else a live update, which waits
 *  while the pointer is on the gate board's buttons. */
async function load(now = false) {
  // what the yard deals with now, however long its history: not the whole archive
  const answer = await api("GET", "/api/v1/visits?current=true");
  if (!answer.ok) return notify("gate-status", message(answer.data), "error");
  // The list carries each visit's active holds, so one read draws the whole console.
  visits = answer.data.items;
  drawBoard(now);
  lanes();
  parkingMap();
  holds();
}

async function gate(direction) {
  const gateForm = document.getElementById("gate-form");
  clearNotice("gate-status");
  const plate = gateForm.querySelector("[data-field=plate]").value.trim();
  const body = { plate };
  // asked for only when several declarations pre-advised the plate (ambiguous_pre_advice)
  const declaration = gateForm.querySelector("[data-field=declaration_id]").value.trim();
  if (direction === "in" && declaration) body.declaration_id = declaration;
  // one key per gate event: a retry after a lost answer does not gate the truck twice
  const answer = await write(gateForm, "POST", `/api/v1/gate/${direction}`,
    { direction, ...body }, ({ direction: _, ...sent }) => sent);
  if (!answer.ok) {
    showErrors(gateForm, answer);
    return notify("gate-status", failed(answer, gateForm), "error");
  }
  clearErrors(gateForm);
  gateForm.querySelector("[data-field=declaration_id]").value = ""; // it was this truck's
  // a truck whose goods were refused or withdrawn leaves by the same gate, back inland
  const done = answer.data.status === "shut_out" ? "gate_shut_out_ok" : `gate_${direction}_ok`;
  // a truck let out well before its planned departure: the history says so, and so does the gate
  const out = direction === "out" ? (answer.data.steps || []).filter((s) => s.status === "gated_out").pop() : null;
  const early = out && out.reason ? (lang() === "zh" ? out.reason_zh || out.reason : out.reason) : "";
  notify("gate-status", t(`yard.${done}`, { plate: answer.data.plate }) + (early ? ` ${early}` : ""), early ? "warning" : "ok");
  await load(true);
}

async function placeHold(event) {
  event.preventDefault();
  const holdForm = event.target;
  clearNotice("hold-status");
  if (!requireFields(holdForm, ["visit_id"])) return;
  const visitId = holdForm.querySelector("[data-field=visit_id]").value;
  const body = {
    kind: holdForm.querySelector("[data-field=kind]").value,
    reason: holdForm.querySelector("[data-field=reason]").value.trim(),
  };
  const answer = await api("POST", `/api/v1/visits/${visitId}/holds`, body);
  if (!answer.ok) return showErrors(holdForm, answer);
  clearErrors(holdForm);
  holdForm.querySelector("[data-field=reason]").value = "";
  notify("hold-status", t("yard.hold_placed", { plate: answer.data.plate }));
  await load(true);
}

async function liftHold(visitId, holdId) {
  clearNotice("hold-status");
  const note = document.getElementById("lift-note").value.trim() || null;
  const answer = await api("POST", `/api/v1/visits/${visitId}/holds/${holdId}/lift`, { note });
  if (!answer.ok) return notify("hold-status", failed(answer), "error");
  notify("hold-status", t("yard.hold_lifted", { plate: answer.data.plate }));
  await load(true);
}

function init() {
  const gateForm = document.getElementById("gate-form");
  gateForm.addEventListener("submit", (event) => { event.preventDefault(); gate("in"); });
  document.getElementById("gate-out").addEventListener("click", () => gate("out"));
  document.getElementById("hold-form").addEventListener("submit", placeHold);
  drawBoard = steadyWhileUsed("gate-board", gateBoard);
  ready();
  load(true);
  onLive(["declaration.status", "declaration.released", "trip.armed", "trip.state", "trip.closed", "visit.changed"], load);
}

init();
