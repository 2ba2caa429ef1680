// Customs officer console: the risk-ranked worklist with the rules that fired, inspection
// records, release / hold / reject with a reason, arming an e-lock on released goods and
// taking one off a truck still in the yard.
import {
  ready, api, beijing, clearErrors, clearNotice, el, failed, lang, laneBadge, listAll,
  message, moreNote, notify, now, onLive, refill, replace, requireFields, ruleEffect, setFieldError, showErrors,
  statusBadge, t, table, write,
} from "./common.js";
import { initAlerts } from "./alerts.js";

let selected = null;

function explanation(item) {
  return lang() === "zh" ? item.explanation_zh || item.explanation_en : item.explanation_en || item.explanation_zh;
}

function firedRules(rules) {
  if (!rules || !rules.length) return "—";
  return el("ul", { class: "fired" }, rules.map((rule) => {
    const name = typeof rule === "string" ? rule : rule.rule_id || rule.id || rule.name;
    const why = typeof rule === "string" ? "" : (lang() === "zh" ? rule.description_zh : rule.description_en) || "";
    const said = typeof rule === "object" ? ruleEffect(rule) : "";
    const effect = said ? ` [${said}]` : "";
    return el("li", {}, el("code", {}, name), effect, why ? ` — ${why}` : "");
  }));
}

async function loadWorklist() {
  const answer = await api("GET", "/api/v1/worklist");
  if (!answer.ok) return replace("worklist", el("p", { class: "notice notice-error" }, message(answer.data)));
  replace("worklist", table("officer.worklist", [
    ["field.number", (d) => el("button", {
      type: "button", class: "link", "data-open": d.id, onclick: () => openDeclaration(d.id),
    }, d.number)],
    ["field.vehicle_plate", (d) => el("span", { class: "plate" }, d.vehicle_plate)],
    ["field.lane", (d) => laneBadge(d.lane)],
    ["field.risk_score", (d) => String(d.risk_score ?? "—")],
    ["field.status", (d) => statusBadge(d.status, d.status_zh)],
    ["officer.fired_rules", (d) => el("div", {}, firedRules(d.fired_rules),
      explanation(d) ? el("details", { class: "why" }, el("summary", {}, t("officer.why")), explanation(d)) : null)],
  ], answer.data.items, "officer.worklist_empty"));
}

function goodsTable(declaration) {
  const items = (declaration.declaration && declaration.declaration.items) || [];
  return table("officer.goods", [
    ["field.hs_code", (i) => i.hs_code],
    ["field.name", (i) => i.name],
    ["field.quantity", (i) => `${i.quantity} ${i.unit || ""}`],
    ["field.value", (i) => `${i.value} ${i.currency || ""}`],
    ["field.origin_province", (i) => t(`province.${i.origin_province}`)],
  ], items);
}

async function openDeclaration(id, keepStatus = false) {
  if (!keepStatus) clearNotice("case-status");
  const answer = await api("GET", `/api/v1/declarations/${id}`);
  if (!answer.ok) return replace("case-body", el("p", { class: "notice notice-error" }, message(answer.data)));
  selected = answer.data;
  const d = selected;
  const content = d.declaration || {};
  document.getElementById("case-actions").hidden = false;
  replace("case-title", `${t("officer.case")} ${d.number}`);
  replace("case-body",
    el("dl", { class: "facts" },
      el("dt", {}, t("field.status")), el("dd", {}, statusBadge(d.status, d.status_zh)),
      el("dt", {}, t("field.lane")), el("dd", {}, laneBadge(d.lane)),
      el("dt", {}, t("field.vehicle_plate")), el("dd", {}, content.vehicle_plate || "—"),
      el("dt", {}, t("field.containers")), el("dd", {}, (content.containers || []).map((c) => c.number).join(", ") || "—"),
      el("dt", {}, t("field.exit_port")), el("dd", {}, t(`port.${content.exit_port}`))),
    goodsTable(d),
    table("officer.inspections", [
      ["field.kind", (r) => t(`inspection.${r.kind}`)],
      ["field.result", (r) => t(`result.${r.result}`)],
      ["field.finished_at", (r) => beijing(r.finished_at)],
      ["field.findings", (r) => r.findings || "—"],
    ], d.inspections || []));
  document.getElementById("case-title").focus();
}

async function recordInspection(event) {
  event.preventDefault();
  const inspection = event.target;
  clearNotice("case-status");
  if (!selected) return notify("case-status", t("officer.choose_first"), "error");
  clearErrors(inspection);
  // A positive whole number of minutes only ("abc", "1e3", "0x10", "-5" are refused here).
  const minutesInput = inspection.querySelector("[data-field=minutes]");
  const typed = minutesInput.value.trim() || "5";
  const minutes = /^[0-9]+$/.test(typed) ? Number.parseInt(typed, 10) : 0;
  if (!(minutes >= 1 && minutes <= 24 * 60)) {
    setFieldError(inspection, minutesInput, t("common.whole_minutes"));
    notify("case-status", `${t("common.not_done")} ${t("common.whole_minutes")}`, "error");
    return minutesInput.focus();
  }
  const entered = {
    declaration: selected.id,
    minutes,
    kind: inspection.querySelector("[data-field=kind]").value,
    result: inspection.querySelector("[data-field=result]").value,
    findings: inspection.querySelector("[data-field=findings]").value.trim() || null,
    equipment_id: inspection.querySelector("[data-field=equipment_id]").value.trim() || null,
    image_sha256: inspection.querySelector("[data-field=image_sha256]").value.trim() || null,
  };
  // A record whose answer was lost is sent again as it was (its times included), under the
  // same key: the server answers the first record instead of adding a second.
  const path = `/api/v1/declarations/${entered.declaration}/inspections`;
  const answer = await write(inspection, "POST", path, entered, ({ declaration, minutes: ago, ...fields }) => {
    const finished = now();  // the port's clock, not the browser's
    const started = new Date(finished.getTime() - ago * 60000);
    return { ...fields, started_at: started.toISOString(), finished_at: finished.toISOString() };
  });
  if (!answer.ok) return showErrors(inspection, answer);
  clearErrors(inspection);
  inspection.reset();
  notify("case-status", t("officer.recorded", { kind: t(`inspection.${entered.kind}`) }));
  await openDeclaration(selected.id, true);
}

async function decide(decision) {
  const decisionForm = document.getElementById("decision-form");
  clearNotice("case-status");
  if (!selected) return notify("case-status", t("officer.choose_first"), "error");
  const reason = decisionForm.querySelector("[data-field=reason]").value.trim() || null;
  const answer = await api("POST", `/api/v1/declarations/${selected.id}/${decision}`, { reason });
  if (!answer.ok) {
    showErrors(decisionForm, answer);
    return notify("case-status", failed(answer, decisionForm), "error");
  }
  clearErrors(decisionForm);
  decisionForm.reset();
  notify("case-status", t("officer.decided", {
    number: answer.data.number, status: lang() === "zh" ? answer.data.status_zh : t(`status.${answer.data.status}`),
  }));
  await Promise.all([openDeclaration(selected.id, true), loadWorklist(), loadArming()]);
}

/** Refills an arming choice, keeping the officer's pick; a choice gone (armed from another
 *  desk) is told to the form as a change. */
function refillChoice(id, placeholder, options) {
  const select = document.getElementById(id);
  if (!refill(select, el("option", { value: "" }, placeholder), options)) {
    select.value = "";
    select.dispatchEvent(new Event("change"));
  }
}

async function loadArming() {
  // The server lists the released declarations without an armed e-lock (sealed=false), all
  // of them page by page up to the bound; what is left out is counted, never dropped silently.
  const [waiting, seals, routes, trips] = await Promise.all([
    listAll("/api/v1/declarations?status=released&sealed=false"),
    api("GET", "/api/v1/seals"),
    api("GET", "/api/v1/routes"),
    listAll("/api/v1/trips?active=true"),
  ]);
  const pending = waiting.items;
  replace("arm-more", moreNote(waiting.total, pending.length));
  refillChoice("arm-declaration", t("common.choose"),
    pending.map((d) => el("option", { value: d.id, "data-port": d.exit_port },
      `${d.number} · ${d.vehicle_plate} · ${t(`port.${d.exit_port}`)}`)));
  const pool = (seals.ok ? seals.data.items : []).filter((s) => s.state === "available");
  refillChoice("arm-seal", t(pool.length ? "common.choose" : "officer.pool_empty"),
    pool.map((s) => el("option", { value: s.seal_id },
      `${s.seal_id} · ${s.vendor}${s.battery_pct != null ? ` · ${s.battery_pct}%` : ""}`)));
  refillChoice("arm-route", t("common.choose"),
    (routes.ok ? routes.data.items : []).map((r) => el("option", { value: r.route_id, "data-port": r.to_port },
      `${t(`port.${r.to_port}`)} · ${r.road_km} km${r.approximate ? ` · ${t("officer.approximate")}` : ""}`)));
  replace("armed-trips", table("officer.armed", [
    ["field.plate", (r) => r.vehicle_plate],
    ["field.seal", (r) => r.seal_id],
    ["field.containers", (r) => (r.containers || []).join(", ")],
    ["field.exit_port", (r) => t(`port.${r.exit_port}`)],
    ["field.state", (r) => t(`trip.${r.state}`)],
    ["common.action", (r) => (r.state === "in_yard" ? el("button", {
      type: "button", class: "secondary small", "data-unseal": r.id, onclick: () => unseal(r),
    }, t("officer.unseal")) : "—")],
  ], trips.items), moreNote(trips.total, trips.items.length));
  // locks taken off (in the yard or at a border referral) wait here until checked
  const disarmed = (seals.ok ? seals.data.items : []).filter((s) => s.state === "disarmed");
  replace("disarmed-seals", disarmed.length ? table("officer.disarmed", [
    ["field.seal", (s) => s.seal_id],
    ["field.vendor", (s) => s.vendor],
    ["common.action", (s) => el("button", {
      type: "button", class: "secondary small", "data-to-pool": s.seal_id, onclick: () => toPool(s),
    }, t("officer.to_pool"))],
  ], disarmed) : null);
}

/** A lock taken off, checked, goes back to the pool for the next truck. */
async function toPool(seal) {
  clearNotice("unseal-status");
  const reason = t("officer.to_pool_reason");
  const answer = await api("POST", `/api/v1/seals/${seal.seal_id}/state`, { state: "available", reason });
  if (!answer.ok) return notify("unseal-status", failed(answer), "error");
  notify("unseal-status", t("officer.to_pool_ok", { seal: seal.seal_id }));
  await loadArming();
}

/** Take the e-lock off a truck still in the yard: goods refused after sealing, a faulty lock. */
async function unseal(trip) {
  clearNotice("unseal-status");
  const reason = document.getElementById("unseal-reason").value.trim();
  if (!reason) return notify("unseal-status", t("officer.unseal_reason_needed"), "error");
  const answer = await api("POST", `/api/v1/trips/${trip.id}/unseal`, { reason });
  if (!answer.ok) return notify("unseal-status", failed(answer), "error");
  document.getElementById("unseal-reason").value = "";
  notify("unseal-status", t("officer.unsealed_ok", { seal: trip.seal_id, plate: trip.vehicle_plate }));
  await loadArming();
}

/** What the seal will bind, before it is armed: the declaration's plate and containers. */
async function previewArming(id) {
  if (!id) return replace("arm-preview");
  const answer = await api("GET", `/api/v1/declarations/${id}`);
  if (!answer.ok) return replace("arm-preview", message(answer.data));
  const content = answer.data.declaration || {};
  replace("arm-preview", t("officer.arm_preview", {
    plate: content.vehicle_plate || "—",
    containers: (content.containers || []).map((c) => c.number).join(", ") || t("officer.no_container"),
  }));
}

function matchRoute() {
  previewArming(document.getElementById("arm-declaration").value);
  const port = document.getElementById("arm-declaration").selectedOptions[0]?.dataset.port;
  const routeSelect = document.getElementById("arm-route");
  const option = [...routeSelect.options].find((o) => o.dataset.port === port);
  if (option) routeSelect.value = option.value;
}

async function armSeal(event) {
  event.preventDefault();
  const arming = event.target;
  clearNotice("arm-status");
  if (!requireFields(arming, ["declaration_id", "seal_id", "route_id"])) return;
  const body = {
    declaration_id: arming.querySelector("[data-field=declaration_id]").value,
    seal_id: arming.querySelector("[data-field=seal_id]").value,
    route_id: arming.querySelector("[data-field=route_id]").value,
  };
  const answer = await api("POST", "/api/v1/trips", body);
  if (!answer.ok) {
    showErrors(arming, answer);
    return notify("arm-status", failed(answer, arming), "error");
  }
  clearErrors(arming);
  replace("arm-preview");
  notify("arm-status", t("officer.armed_ok", {
    seal: answer.data.seal_id, plate: answer.data.vehicle_plate,
    containers: (answer.data.containers || []).join(", ") || "—",
    until: beijing(answer.data.window_end),
  }));
  await loadArming();
}

/** The scan image never leaves the desk: only its SHA-256 is recorded (the image stays in the
 *  scanner's archive, and the digest proves which image the officer judged). */
async function hashImage(event) {
  const file = event.target.files[0];
  const target = document.getElementById("insp-sha");
  if (!file || !window.crypto || !window.crypto.subtle) return;
  const digest = await window.crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  target.value = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function init() {
  document.getElementById("insp-image").addEventListener("change", hashImage);
  document.getElementById("inspection-form").addEventListener("submit", recordInspection);
  const decisionForm = document.getElementById("decision-form");
  decisionForm.addEventListener("submit", (event) => event.preventDefault());
  decisionForm.querySelectorAll("button[data-decision]").forEach((button) => {
    button.addEventListener("click", () => decide(button.dataset.decision));
  });
  document.getElementById("arm-form").addEventListener("submit", armSeal);
  document.getElementById("arm-declaration").addEventListener("change", matchRoute);
  initAlerts();
  ready();
  loadWorklist();
  loadArming();
  onLive(["declaration.lodged", "declaration.status", "declaration.assessed", "declaration.released", "trip.armed", "trip.closed"], () => { loadWorklist(); loadArming(); });
}

init();
