// Border officer console: read plate, container, seal or the trip certificate's QR text,
// get the verdict with each check's reason, then confirm release or refer to inspection.
import {
  ready, api, beijing, clearErrors, clearNotice, el, failed, lang, message, moreNote, notify, onLive, replace,
  showErrors, t, table,
} from "./common.js";

const form = document.getElementById("verify-form");
let verdict = null;
let reading = null;

function field(name) {
  return form.querySelector(`[data-field=${name}]`).value.trim();
}

/** The QR token names its trip; the server checks the signature against the port's keys
 *  and its validity against the port's clock (a certificate expires). */
async function readQr(text) {
  const answer = await api("POST", "/console/border/qr", { token: text });
  if (!answer.ok) return { error: answer };
  return { qr: answer.data };
}

async function verify(event) {
  event.preventDefault();
  clearErrors(form);
  clearNotice("verify-status"); // a new reading: what the last one said no longer holds
  clearNotice("decide-status");
  replace("verdict");
  document.getElementById("decide").hidden = true;
  const qrText = field("qr");
  let qr = null;
  if (qrText) {
    const read = await readQr(qrText);
    if (read.error) return showErrors(form, read.error);
    qr = read.qr;
  }
  const plate = field("plate");
  const container = field("container");
  const seal = field("seal");
  const params = new URLSearchParams();
  if (plate) params.set("plate", plate);
  if (container) params.append("container", container);
  if (seal) params.set("seal", seal);
  if (qr && qr.trip_id) params.set("trip", qr.trip_id);
  const answer = await api("GET", `/api/v1/border/verify?${params}`);
  if (!answer.ok) {
    showErrors(form, answer);
    return notify("verify-status", failed(answer, form), "error");
  }
  verdict = answer.data;
  reading = {
    plate: plate || null, containers: container ? [container] : [], seal_id: seal || null,
    qr_trip_id: qr ? qr.trip_id : null,
  };
  showVerdict(verdict, qr);
}

/** A time in Beijing with its year (an expired paper may be old), to the minute. */
function beijingDate(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
}

/** The QR check's sentence in the page's language: the console's own words for the reasons
 *  it can name (expired, issued ahead of the clock), the API's for any other. */
function qrSentence(qr) {
  if (qr.valid) return t("border.qr_valid", { until: beijingDate(qr.valid_until) });
  const own = {
    expired: () => t("border.qr_expired", { at: beijingDate(qr.valid_until) }),
    issued_in_future: () => t("border.qr_issued_in_future", { at: beijingDate(qr.issued_at) }),
  };
  const reasons = (qr.reasons || []).map((r) => (own[r.code] ? own[r.code]() : message(r)));
  return t("border.qr_refused", { reasons: reasons.join(lang() === "zh" ? "；" : "; ") });
}

function showVerdict(v, qr) {
  const pass = v.verdict === "pass";
  const checks = [...v.checks];
  if (qr) {
    checks.unshift({
      code: "qr_signature", ok: qr.valid, text: qrSentence(qr),
      reasons: (qr.reasons || []).map((r) => r.code).join(" ") || null,
    });
  }
  replace("verdict",
    el("h3", { class: pass ? "verdict verdict-pass" : "verdict verdict-refer", id: "verdict-title", tabindex: "-1" },
      pass ? t("border.pass") : t("border.refer")),
    el("p", {}, t("border.trip", { trip: v.trip_id })),
    el("ul", { class: "checks" }, checks.map((c) => el("li", {
      class: c.ok ? "check ok" : "check failed", "data-check": c.code, "data-reasons": c.reasons || null,
    },
      el("span", { class: "mark", "aria-hidden": "true" }, c.ok ? "✓" : "✗"),
      el("span", { class: "visually-hidden" }, c.ok ? t("border.ok") : t("border.failed")),
      el("strong", {}, t(`check.${c.code}`)), " — ", c.text || message(c),
      // The figure is the rule's measurement in English; the Chinese sentence carries it.
      c.figure && lang() === "en" ? el("span", { class: "figure" }, ` (${c.figure})`) : null))));
  document.getElementById("decide").hidden = false;
  // Goods exit on what was read from the truck (its plate and e-lock), never on a QR alone,
  // and never after a QR the land port did not sign.
  const unread = !reading.plate || !reading.seal_id;
  document.getElementById("release").disabled = !pass || unread || (qr && !qr.valid);
  if (pass && unread) notify("decide-status", t("border.read_to_release"), "error");
  document.getElementById("verdict-title").focus();
}

async function release() {
  if (!verdict) return;
  clearNotice("decide-status");
  const note = document.getElementById("decide-note").value.trim() || null;
  const answer = await api("POST", `/api/v1/border/trips/${verdict.trip_id}/release`, { ...reading, note });
  if (!answer.ok) return notify("decide-status", failed(answer), "error");
  notify("decide-status", t("border.released", { trip: verdict.trip_id }));
  document.getElementById("decide").hidden = true;
  await loadArrivals();
}

async function refer() {
  if (!verdict) return;
  clearNotice("decide-status");
  const decide = document.getElementById("decide-form");
  const reason = document.getElementById("decide-note").value.trim();
  const answer = await api("POST", `/api/v1/border/trips/${verdict.trip_id}/refer`, { ...reading, reason });
  if (!answer.ok) {
    showErrors(decide, answer.data.errors ? answer : { ...answer, data: { errors: [{ field: "reason", ...answer.data }] } });
    return;
  }
  clearErrors(decide);
  notify("decide-status", t("border.referred", { trip: verdict.trip_id }));
  document.getElementById("decide").hidden = true;
  await loadArrivals();
}

/** Active trips bound for this officer's port, those at the border first (the server
 *  filters and orders them, so a busy day's trucks still in the yard never push the ones at
 *  the gate off the list): one click fills the plate and verifies. */
async function loadArrivals() {
  const target = document.getElementById("arrivals");
  const port = target.dataset.port;
  const query = new URLSearchParams({ active: "true", order: "border", page_size: "200" });
  if (port) query.set("exit_port", port);
  const answer = await api("GET", `/api/v1/trips?${query}`);
  if (!answer.ok) return replace(target, el("p", { class: "notice notice-error" }, message(answer.data)));
  const rows = answer.data.items;
  replace(target, table("border.arrivals", [
    ["field.plate", (r) => el("strong", { class: "plate" }, r.vehicle_plate)],
    ["field.seal", (r) => r.seal_id],
    ["field.containers", (r) => (r.containers || []).join(", ")],
    ["field.state", (r) => t(`trip.${r.state}`)],
    ["field.window", (r) => `${beijing(r.window_start)} – ${beijing(r.window_end)}`],
    ["common.action", (r) => el("button", {
      type: "button", class: "secondary", "data-verify": r.vehicle_plate,
      onclick: () => {
        form.reset();
        form.querySelector("[data-field=plate]").value = r.vehicle_plate;
        form.requestSubmit();
      },
    }, t("border.use"))],
  ], rows), moreNote(answer.data.total, rows.length, "border.more"));
}

form.addEventListener("submit", verify);
loadArrivals();
onLive(["trip.state", "trip.closed", "trip.armed"], loadArrivals);
document.getElementById("decide-form").addEventListener("submit", (event) => event.preventDefault());
document.getElementById("release").addEventListener("click", release);
document.getElementById("refer").addEventListener("click", refer);
ready();
