// E-lock alerts on an officer's console: the unresolved ones, newest first, each to
// acknowledge (being looked into) or resolve (closed with the officer's finding). The list
// follows the live stream; the alert being handled stays chosen while the list redraws.
import {
  api, beijing, clearErrors, clearNotice, el, failed, lang, message, notify, onLive, replace,
  requireFields, showErrors, t, table,
} from "./common.js";

let alerts = [];
let chosen = null;

const kindName = (alert) => t(`alert_kind.${alert.kind}`);
const plate = (alert) => alert.vehicle_plate || alert.trip_id;
const said = (alert) => (lang() === "zh" ? alert.message_zh : alert.message_en) || "—";

export async function loadAlerts() {
  const answer = await api("GET", "/api/v1/screen/alerts?limit=200");
  if (!answer.ok) return replace("alerts", el("p", { class: "notice notice-error" }, message(answer.data)));
  alerts = answer.data.items;
  replace("alerts", table("alerts.caption", [
    ["alerts.severity", (a) => el("span", { class: `badge severity-${a.severity}` }, t(`alerts.severity.${a.severity}`))],
    ["alerts.kind", kindName],
    ["field.plate", (a) => el("strong", { class: "plate" }, plate(a))],
    ["alerts.raised", (a) => beijing(a.opened_at)],
    ["alerts.what", said],
    ["alerts.state", (a) => (a.state === "acknowledged" ? t("alerts.being_handled") : t("alerts.open"))],
    ["common.action", (a) => el("button", {
      type: "button", class: "secondary small", "data-alert": a.id, onclick: () => choose(a),
    }, t("alerts.handle"))],
  ], alerts, "alerts.none"));
  if (chosen && !alerts.some((a) => a.id === chosen.id)) {
    // ended meanwhile: by the track (the truck is back on the route) or by another officer
    closeForm();
    notify("alert-status", t("alerts.gone"), "error");
  }
}

function choose(alert) {
  chosen = alert;
  const form = document.getElementById("alert-form");
  clearErrors(form);
  clearNotice("alert-status");
  form.hidden = false;
  const title = document.getElementById("alert-chosen");
  title.textContent = t("alerts.chosen", { kind: kindName(alert), plate: plate(alert), at: beijing(alert.opened_at) });
  document.getElementById("alert-reason").focus();
}

function closeForm() {
  chosen = null;
  const form = document.getElementById("alert-form");
  form.reset();
  clearErrors(form);
  form.hidden = true;
}

async function handle(action) {
  const form = document.getElementById("alert-form");
  if (action === "cancel") return closeForm();
  if (!chosen || !requireFields(form, ["reason"])) return;
  const reason = document.getElementById("alert-reason").value.trim();
  const alert = chosen;
  const answer = await api("POST", `/api/v1/alerts/${alert.alert_id}/${action}`, { reason });
  if (!answer.ok) {
    showErrors(form, answer);
    return notify("alert-status", failed(answer, form), "error");
  }
  closeForm();
  notify("alert-status", t(`alerts.done.${action}`, { kind: kindName(alert), plate: plate(alert) }));
  await loadAlerts();
}

export function initAlerts() {
  const form = document.getElementById("alert-form");
  form.addEventListener("submit", (event) => event.preventDefault());
  form.querySelectorAll("button[data-alert-action]").forEach((button) => {
    button.addEventListener("click", () => handle(button.dataset.alertAction));
  });
  loadAlerts();
  onLive(["alert.opened", "alert.updated", "alert.closed", "alert.handled"], loadAlerts);
}
