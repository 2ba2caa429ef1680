// Declarant console: lodge and submit a declaration (the API's own rules answer, field by
// field), my declarations, truck appointments against capacity, my trucks.
import {
  ready, api, beijing, clearErrors, clearNotice, el, failed, lang, laneBadge, listAll, message,
  moreNote, notify, now, onLive, refill, replace, requireFields, setFieldError, showErrors, signName,
  statusBadge, t, table, write,
} from "./common.js";

const form = document.getElementById("declaration-form");

function addRow(kind) {
  const list = document.getElementById(`${kind}-rows`);
  const index = list.children.length;
  const template = document.getElementById(`${kind}-row-template`).innerHTML;
  const holder = document.createElement("div");
  holder.innerHTML = template.replaceAll("__i__", String(index)).replaceAll("__n__", String(index + 1));
  const row = holder.firstElementChild;
  list.append(row);
  return row;
}

function value(name) {
  const input = form.querySelector(`[data-field="${name}"]`);
  return input ? input.value.trim() : "";
}

/** What is wrong with a number as typed, or null: whole numbers are digits only, decimal
 *  fields digits with at most one decimal point (no sign, hex "0x10" or exponent "1e3"). */
function numberProblem(input, raw) {
  if (input.dataset.kind === "integer" && !/^[0-9]+$/.test(raw)) return t("common.not_whole");
  if (input.inputMode === "decimal" && !/^[0-9]+(\.[0-9]+)?$/.test(raw)) return t("common.not_decimal");
  return null;
}

/** The numbers of the form the page itself refuses: Map(field path -> message). */
function numberProblems() {
  const problems = new Map();
  form.querySelectorAll("[data-field]").forEach((input) => {
    const raw = input.value.trim();
    const problem = raw === "" ? null : numberProblem(input, raw);
    if (problem) problems.set(input.dataset.field, problem);
  });
  return problems;
}

/** The form as the API's JSON; empty fields are left out so that "required" names them.
 *  Whole numbers go as numbers, decimals as the digits typed (the server reads them exactly). */
function payload() {
  const body = {};
  form.querySelectorAll("[data-field]").forEach((input) => {
    const path = input.dataset.field;
    const raw = input.value.trim();
    if (raw === "") return;
    const match = path.match(/^(items|containers)\[(\d+)\]\.(\w+)$/);
    const parsed = input.dataset.kind === "integer" && /^[0-9]+$/.test(raw) ? Number.parseInt(raw, 10) : raw;
    if (match) {
      const [, list, index, key] = match;
      body[list] = body[list] || [];
      body[list][Number(index)] = body[list][Number(index)] || {};
      body[list][Number(index)][key] = parsed;
    } else {
      body[path] = parsed;
    }
  });
  for (const list of ["items", "containers"]) {
    body[list] = (body[list] || []).filter((row) => row && Object.keys(row).length);
  }
  return body;
}

async function submitDeclaration(event) {
  event.preventDefault();
  clearNotice("declare-status");
  const problems = numberProblems();
  if (problems.size) {
    const errors = [...problems].map(([field, text]) => ({ field, message_en: text, message_zh: text }));
    showErrors(form, { status: 0, data: { errors } });
    notify("declare-status", t("declarant.not_lodged"), "error");
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  // unanswered, a retry replays what may have been lodged
  const answer = await write(form, "POST", "/api/v1/declarations?submit=true", payload());
  button.disabled = false;
  if (!answer.ok) {
    showErrors(form, answer);
    notify("declare-status", t("declarant.not_lodged"), "error");
    return;
  }
  clearErrors(form);
  const d = answer.data;
  notify("declare-status", t("declarant.lodged", {
    number: d.number || d.id, status: lang() === "zh" ? d.status_zh : t(`status.${d.status}`),
    lane: d.lane ? t(`lane.${d.lane}`) : "—",
  }), "ok");
  await loadDeclarations();
}

/** Fields the declarant has already filled in: the live check speaks only about these
 *  (a rule about a field not yet reached would be noise); submitting shows everything. */
const touched = new Set();
let checkTimer = null;
let checkRound = 0;

function onEdit(event) {
  const input = event.target.closest("[data-field]");
  if (!input) return;
  touched.add(input.dataset.field);
  clearTimeout(checkTimer);
  checkTimer = setTimeout(liveCheck, event.type === "change" ? 0 : 400);
}

/** Asks the server which rules the form breaks now (the same check as lodging). */
async function liveCheck() {
  const round = ++checkRound;
  const answer = await api("POST", "/api/v1/declarations/check", payload());
  if (!answer.ok || round !== checkRound) return;
  // the page's own word on a mistyped number comes first (the server may read "1e3")
  const local = numberProblems();
  const messages = new Map(local);
  for (const error of answer.data.errors) {
    if (local.has(error.field)) continue;
    const text = message(error);
    messages.set(error.field, messages.has(error.field) ? `${messages.get(error.field)} ${text}` : text);
  }
  form.querySelectorAll("[data-field]").forEach((input) => {
    const field = input.dataset.field;
    if (!touched.has(field) && !input.hasAttribute("aria-invalid")) return;
    setFieldError(form, input, messages.get(field) || null);
  });
  form.dataset.checked = String(round);
}

async function loadDeclarations() {
  const answer = await api("GET", "/api/v1/declarations?page_size=50");
  if (!answer.ok) return replace("my-declarations", el("p", { class: "notice notice-error" }, message(answer.data)));
  const rows = answer.data.items;
  replace("my-declarations", table("declarant.my_declarations", [
    ["field.number", (d) => d.number || t("declarant.draft")],
    ["field.vehicle_plate", (d) => d.vehicle_plate],
    ["field.exit_port", (d) => t(`port.${d.exit_port}`)],
    ["field.lane", (d) => laneBadge(d.lane)],
    ["field.status", (d) => statusBadge(d.status, d.status_zh)],
    ["field.updated_at", (d) => beijing(d.updated_at)],
  ], rows), moreNote(answer.data.total, rows.length));
  await loadChoices();
}

/** Statuses a truck may be booked or pre-advised for. */
const BOOKABLE = ["released", "document_check", "examination", "assessed"];

/** The booking and pre-advice lists: every declaration still in a bookable status, asked
 *  status by status and page by page (not the newest 50 of the table above). */
async function loadChoices() {
  const lists = await Promise.all(BOOKABLE.map((status) => listAll(`/api/v1/declarations?status=${status}`)));
  const choices = lists.flatMap((list) => list.items)
    .sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
  const left = lists.reduce((sum, list) => sum + list.total - list.items.length, 0);
  for (const select of document.querySelectorAll("select[data-declarations]")) {
    refill(select, el("option", { value: "" }, t("common.choose")),
      choices.map((d) => el("option", { value: d.id, "data-plate": d.vehicle_plate }, `${d.number} · ${d.vehicle_plate}`)));
    const note = select.parentElement.querySelector("[data-more]");
    if (note) note.remove();
    const more = moreNote(left + choices.length, choices.length);
    if (more) select.after(more);
  }
}

/** A bookable resource by its sign. */
const sign = (r) => signName(r, r.resource_id);

/** Whether an hour has already begun by the port's clock: it can no longer be booked. */
function begun(slot) {
  return Date.parse(slot.slot_start) <= now().getTime();
}

/** Free places per resource and hour (Beijing time) of the chosen day, as a matrix; the
 *  hours already begun are neither shown free nor offered. */
async function loadCapacity() {
  const date = document.getElementById("capacity-date").value;
  const target = document.getElementById("capacity");
  const answer = await api("GET", `/api/v1/appointments/capacity?date=${encodeURIComponent(date)}`);
  if (!answer.ok) {
    return replace(target, el("p", { class: "notice notice-error" }, message(answer.data) || t("declarant.capacity_unavailable")));
  }
  const resources = answer.data.resources || [];
  const hours = [...new Set(resources.flatMap((r) => r.hours.map((h) => h.hour)))].sort();
  const head = el("tr", {}, el("th", { scope: "col" }, t("field.resource")),
    hours.map((h) => el("th", { scope: "col" }, h)));
  const rows = resources.map((r) => el("tr", {},
    el("th", { scope: "row" }, sign(r), el("br"), el("small", {}, t(`resource.${r.kind}`))),
    hours.map((hour) => {
      const slot = r.hours.find((h) => h.hour === hour);
      if (!slot) return el("td", { class: "closed" }, "—");
      if (begun(slot)) return el("td", { class: "closed", title: t("declarant.slot_begun") }, "—");
      return el("td", { class: slot.free > 0 ? "free" : "full", title: t("declarant.slot_title", slot) },
        `${slot.free}/${slot.capacity}`, slot.peak ? el("span", { class: "peak" }, " ★") : null);
    })));
  replace(target, el("div", { class: "scroll" }, el("table", { class: "console-table capacity" },
    el("caption", {}, t("declarant.capacity_title")), el("thead", {}, head), el("tbody", {}, rows))),
    el("p", { class: "hint" }, t("declarant.capacity_legend")));
  const select = document.getElementById("appointment-slot");
  const gatesFirst = [...resources].sort((a, b) => (a.kind === "gate_in" ? 0 : 1) - (b.kind === "gate_in" ? 0 : 1));
  refill(select, gatesFirst.map((r) => el("optgroup", { label: `${sign(r)} · ${t(`resource.${r.kind}`)}` },
    el("option", { value: JSON.stringify([r.resource_id, "earliest"]) }, `${sign(r)} · ${t("declarant.earliest")}`),
    r.hours.filter((h) => !begun(h)).map((h) => el("option", { value: JSON.stringify([r.resource_id, h.slot_start]) },
      `${sign(r)} · ${h.hour} · ${t("declarant.free_n", { free: h.free })}`)))));
  if (select.selectedIndex < 0) select.selectedIndex = 0;
}

async function bookAppointment(event) {
  event.preventDefault();
  const booking = event.target;
  clearNotice("appointment-status");
  if (!requireFields(booking, ["declaration_id", "slot_start"])) return;
  const chosen = booking.querySelector("[data-field=slot_start]").value;
  const [resource_id, slot_start] = chosen ? JSON.parse(chosen) : [null, null];
  const body = {
    declaration_id: booking.querySelector("[data-field=declaration_id]").value,
    resource_id, slot_start,
    join_standby: booking.querySelector("[data-field=join_standby]").checked,
  };
  const answer = await api("POST", "/api/v1/appointments", body);
  if (!answer.ok) {
    showErrors(booking, answer);
    return notify("appointment-status", failed(answer, booking), "error");
  }
  clearErrors(booking);
  notify("appointment-status", t("declarant.booked", {
    status: t(`appointment.${answer.data.status}`), slot: beijing(answer.data.slot_start),
  }));
  await Promise.all([loadCapacity(), loadAppointments()]);
}

async function loadAppointments() {
  const answer = await api("GET", "/api/v1/appointments");
  if (!answer.ok) return replace("my-appointments");
  replace("my-appointments", table("declarant.my_appointments", [
    ["field.number", (a) => a.declaration_number || a.declaration_id],
    ["field.plate", (a) => a.plate || "—"],
    ["field.resource", (a) => sign(a)],
    ["field.slot_start", (a) => beijing(a.slot_start)],
    ["field.status", (a) => t(`appointment.${a.status}`)],
  ], answer.data.items || []));
}

async function loadTrucks() {
  const [visits, trips] = await Promise.all([api("GET", "/api/v1/visits?current=true"), api("GET", "/api/v1/trips")]);
  replace("my-trucks",
    visits.ok ? table("declarant.my_visits", [
      ["field.plate", (v) => v.plate],
      ["field.number", (v) => v.declaration_number],
      ["field.status", (v) => (lang() === "zh" ? v.status_zh : t(`visit.${v.status}`))],
      ["field.slot", (v) => (v.slot ? v.slot.slot_id : "—")],
      ["field.holds", (v) => String(v.active_holds || "—")],
      // the page the exporter sends its driver: where to go next, no login
      ["field.driver_link", (v) => el("a", { href: v.driver_link, "data-driver-link": v.id }, t("declarant.driver_link"))],
    ], visits.data.items) : null,
    trips.ok ? table("declarant.my_trips", [
      ["field.plate", (r) => r.vehicle_plate],
      ["field.seal", (r) => r.seal_id],
      ["field.exit_port", (r) => t(`port.${r.exit_port}`)],
      ["field.state", (r) => t(`trip.${r.state}`)],
      ["field.window", (r) => `${beijing(r.window_start)} – ${beijing(r.window_end)}`],
    ], trips.data.items) : null);
}

async function preAdvise(event) {
  event.preventDefault();
  const advice = event.target;
  clearNotice("advice-status");
  if (!requireFields(advice, ["declaration_id", "plate"])) return;
  const body = {
    declaration_id: advice.querySelector("[data-field=declaration_id]").value || "",
    plate: advice.querySelector("[data-field=plate]").value.trim(),
  };
  const answer = await write(advice, "POST", "/api/v1/visits", body);
  if (!answer.ok) {
    showErrors(advice, answer);
    return notify("advice-status", failed(answer, advice), "error");
  }
  clearErrors(advice);
  advice.reset(); // the next pre-advice starts empty: the plate follows the declaration chosen
  notify("advice-status", t("declarant.pre_advised", { plate: answer.data.plate }));
  await loadTrucks();
}

function init() {
  if (!form) return;
  addRow("container");
  addRow("item");
  document.getElementById("add-item").addEventListener("click", () => addRow("item").querySelector("input")?.focus());
  document.getElementById("add-container").addEventListener("click", () => addRow("container").querySelector("input")?.focus());
  form.addEventListener("submit", submitDeclaration);
  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);
  form.addEventListener("focusout", onEdit);
  const date = document.getElementById("capacity-date");
  if (!date.value) date.value = new Date(now().getTime() + 8 * 3600000).toISOString().slice(0, 10);
  date.addEventListener("change", loadCapacity);
  document.getElementById("appointment-form").addEventListener("submit", bookAppointment);
  document.getElementById("advice-form").addEventListener("submit", preAdvise);
  for (const select of document.querySelectorAll("select[data-declarations]")) {
    // the declared truck's plate, whenever the declaration changes (the driver may still
    // correct it before sending)
    select.addEventListener("change", () => {
      const plate = select.selectedOptions[0]?.dataset.plate || "";
      const input = select.form.querySelector("[data-field=plate]");
      if (input) input.value = plate;
    });
  }
  ready();
  loadDeclarations();
  loadCapacity();
  loadAppointments();
  loadTrucks();
  onLive(["declaration.status", "declaration.released", "declaration.assessed", "trip.armed", "trip.state", "trip.closed", "visit.changed"], () => { loadDeclarations(); loadTrucks(); });
}

init();
