// Port admin console: users (create, deactivate, reactivate, reset a password), enterprises,
// customs brokers' agency authorisations (record, revoke), risk rules (view and publish a
// new version), port calendars (rendered by the server) and route import from a GeoJSON or
// GPX file.
import {
  ready, api, beijing, clearErrors, clearNotice, el, lang, message, notify, replace, requireFields,
  ruleEffect, showErrors, t, table,
} from "./common.js";

function values(form) {
  const body = {};
  form.querySelectorAll("[data-field]").forEach((input) => {
    const raw = input.value.trim();
    if (raw !== "") body[input.dataset.field] = raw;
  });
  return body;
}

async function loadUsers() {
  const answer = await api("GET", "/api/v1/users");
  if (!answer.ok) return replace("users", el("p", { class: "notice notice-error" }, message(answer.data)));
  replace("users", table("admin.users", [
    ["field.username", (u) => u.username],
    ["field.role", (u) => t(`role.${u.role}`)],
    ["field.enterprise_uscc", (u) => u.enterprise_uscc || "—"],
    ["field.port_id", (u) => (u.port_id ? t(`port.${u.port_id}`) : "—")],
    ["field.active", (u) => (u.active ? t("common.yes") : t("common.no"))],
  ], answer.data.items));
  replace("acc-user", answer.data.items.map((u) => el("option", { value: u.username },
    `${u.username} · ${t(`role.${u.role}`)}${u.active ? "" : ` (${t("admin.deactivate")})`}`)));
}

/** Deactivate, reactivate or reset a password: the server ends the person's sessions and
 *  audits the reason; the password goes only with a reset. */
async function changeAccount(event) {
  event.preventDefault();
  const form = event.target;
  clearNotice("account-form-status");
  if (!requireFields(form, ["username", "reason"])) return;
  const { username, action, password, reason } = values(form);
  const body = action === "password" ? { password: password || "", reason } : { reason };
  const answer = await api("POST", `/api/v1/users/${encodeURIComponent(username)}/${action}`, body);
  if (!answer.ok) return showErrors(form, answer);
  clearErrors(form);
  form.reset();
  notify("account-form-status", t(`admin.account_${action}`, answer.data));
  await loadUsers();
}

async function loadEnterprises() {
  const answer = await api("GET", "/api/v1/enterprises");
  if (!answer.ok) return;
  const rows = answer.data.items;
  replace("enterprises", table("admin.enterprises", [
    ["field.uscc", (e) => el("code", {}, e.uscc)],
    ["field.name", (e) => (lang() === "zh" ? e.name_zh : e.name_en)],
    ["field.province", (e) => t(`province.${e.province}`)],
    ["field.rating", (e) => t(`rating.${e.rating}`)],
    ["field.exports_here_since", (e) => e.exports_here_since || t("admin.no_history")],
  ], rows));
  const options = () => rows.map((e) => el("option", { value: e.uscc }, `${lang() === "zh" ? e.name_zh : e.name_en} · ${e.uscc}`));
  replace("user-enterprise", el("option", { value: "" }, t("admin.no_enterprise")), options());
  replace("a-consignor", options());
  replace("a-agent", options());
}

async function loadAuthorisations() {
  const answer = await api("GET", "/api/v1/agency-authorisations");
  if (!answer.ok) return replace("authorisations", el("p", { class: "notice notice-error" }, message(answer.data)));
  const rows = answer.data.items;
  replace("authorisations", table("admin.agency_caption", [
    ["field.consignor_uscc", (a) => el("code", {}, a.consignor_uscc)],
    ["field.agent_uscc", (a) => el("code", {}, a.agent_uscc)],
    ["field.valid_from", (a) => a.valid_from],
    ["field.valid_to", (a) => a.valid_to],
    ["field.agency_state", (a) => state(a)],
  ], rows));
  const revocable = rows.filter((a) => !a.revoked_at); // a future one may be withdrawn too
  replace("r-authorisation", revocable.length
    ? revocable.map((a) => el("option", { value: a.id }, `${a.agent_uscc} → ${a.consignor_uscc} (${a.valid_from} – ${a.valid_to})`))
    : el("option", { value: "" }, t("admin.no_active_agency")));
}

/** Revoked: when and why; else in force today as the server decides it (a Beijing date
 *  within the dates), or not (expired, or not yet begun). */
function state(a) {
  if (a.revoked_at) {
    return t("admin.agency_revoked_on", { at: beijing(a.revoked_at), reason: a.revocation_reason || "" });
  }
  return t(a.in_force ? "admin.agency_active" : "admin.agency_not_in_force");
}

async function revoke(event) {
  event.preventDefault();
  const form = event.target;
  clearNotice("revoke-form-status");
  if (!requireFields(form, ["authorisation_id"])) return;
  const { authorisation_id: id, reason } = values(form);
  const answer = await api("POST", `/api/v1/agency-authorisations/${encodeURIComponent(id)}/revoke`, { reason: reason || "" });
  if (!answer.ok) return showErrors(form, answer);
  clearErrors(form);
  form.reset();
  notify("revoke-form-status", t("admin.agency_revoked", answer.data));
  await loadAuthorisations();
}

async function create(event, path, okKey, reload) {
  event.preventDefault();
  const form = event.target;
  clearNotice(`${form.id}-status`);
  const answer = await api("POST", path, values(form));
  if (!answer.ok) return showErrors(form, answer);
  clearErrors(form);
  form.reset();
  notify(`${form.id}-status`, t(okKey, answer.data));
  await reload();
}

async function loadRules() {
  const [list, current] = await Promise.all([
    api("GET", "/api/v1/risk/rulesets"), api("GET", "/api/v1/risk/rulesets/current"),
  ]);
  if (list.ok) {
    replace("rulesets", table("admin.rulesets", [
      ["field.version", (r) => String(r.version)],
      ["field.published_at", (r) => beijing(r.created_at)],
      ["field.created_by", (r) => r.created_by],
      ["field.comment", (r) => r.comment || "—"],
    ], list.data.items));
  }
  if (current.ok) {
    const doc = current.data.document;
    replace("current-rules", table("admin.current_rules", [
      ["field.rule_id", (r) => el("code", {}, r.id)],
      ["field.description", (r) => (lang() === "zh" ? r.description_zh : r.description_en) || "—"],
      ["field.effect", (r) => ruleEffect(r.then)],
    ], doc.rules || []));
    const editor = document.getElementById("ruleset-document");
    editor.value = JSON.stringify(doc, null, 2);
  }
}

async function publish(event) {
  event.preventDefault();
  const form = event.target;
  let document_;
  try {
    document_ = JSON.parse(form.querySelector("[data-field=document]").value);
  } catch (err) {
    return showErrors(form, { status: 422, data: { errors: [{
      field: "document", code: "not_json",
      message_en: `the ruleset is not valid JSON: ${err.message}`,
      message_zh: `规则集不是有效的 JSON：${err.message}` }] } });
  }
  const comment = form.querySelector("[data-field=comment]").value.trim();
  const query = comment ? `?comment=${encodeURIComponent(comment)}` : "";
  const answer = await api("POST", `/api/v1/risk/rulesets${query}`, document_);
  if (!answer.ok) return showErrors(form, answer);
  clearErrors(form);
  notify("ruleset-form-status", t("admin.published", { version: answer.data.version }));
  await loadRules();
}

async function loadRoutes() {
  const answer = await api("GET", "/api/v1/routes");
  if (!answer.ok) return;
  replace("routes", table("admin.routes", [
    ["field.route_id", (r) => el("code", {}, r.route_id)],
    ["field.exit_port", (r) => t(`port.${r.to_port}`)],
    ["field.road_km", (r) => String(r.road_km)],
    ["field.version", (r) => String(r.version)],
    ["field.confidence", (r) => (r.approximate ? (lang() === "zh" ? r.notice_zh : r.notice_en) : t("admin.surveyed"))],
  ], answer.data.items));
}

async function importRoutes(event) {
  event.preventDefault();
  const form = event.target;
  const file = form.querySelector("[data-field=file]").files[0];
  if (!file) {
    return showErrors(form, { status: 422, data: { errors: [{
      field: "file", code: "required", message_en: "choose a GeoJSON or GPX file", message_zh: "请选择 GeoJSON 或 GPX 文件" }] } });
  }
  const data = new FormData();
  data.append("file", file);
  const routeId = form.querySelector("[data-field=route_id]").value.trim();
  if (routeId) data.append("route_id", routeId);
  const answer = await api("POST", "/api/v1/routes/import", data); // FormData: sent as multipart
  if (!answer.ok) return showErrors(form, answer);
  clearErrors(form);
  notify("route-form-status", t("admin.imported", {
    routes: answer.data.imported.map((r) => `${r.route_id} v${r.version}`).join(", "),
  }));
  await loadRoutes();
}

document.getElementById("user-form").addEventListener("submit", (e) => create(e, "/api/v1/users", "admin.user_created", loadUsers));
document.getElementById("enterprise-form").addEventListener("submit", (e) => create(e, "/api/v1/enterprises", "admin.enterprise_created", loadEnterprises));
document.getElementById("agency-form").addEventListener("submit", (e) => create(e, "/api/v1/agency-authorisations", "admin.agency_recorded", loadAuthorisations));
document.getElementById("revoke-form").addEventListener("submit", revoke);
document.getElementById("account-form").addEventListener("submit", changeAccount);
document.getElementById("ruleset-form").addEventListener("submit", publish);
document.getElementById("route-form").addEventListener("submit", importRoutes);
ready();
loadUsers();
loadEnterprises();
loadAuthorisations();
loadRules();
loadRoutes();
