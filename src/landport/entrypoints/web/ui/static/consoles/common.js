// Shared helpers of the role consoles: calling the JSON API, translating, showing errors.
// Every message the API returns carries English and Chinese; we show the page's language.

const catalogNode = document.getElementById("lp-i18n");
const catalog = catalogNode ? JSON.parse(catalogNode.textContent) : {};
const csrfNode = document.querySelector('meta[name="csrf-token"]');

export function lang() {
  return (document.documentElement.lang || "zh-CN").toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** The console's text for `key` (catalog `consoles.*.json`), falling back to the shared keys. */
export function t(key, vars = {}) {
  let text = catalog[`consoles.${key}`] ?? catalog[key] ?? `[${key}]`;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, value);
  return text;
}

/** The API message of an error or check in the page's language. */
export function message(obj) {
  if (!obj) return "";
  return lang() === "zh" ? obj.message_zh || obj.message_en : obj.message_en || obj.message_zh;
}

/** Calls the JSON API with the session's credentials; never throws on an HTTP error. */
export async function api(method, path, body, { form = false } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && csrfNode) headers["X-CSRF-Token"] = csrfNode.content;
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined && body !== null) {
    if (form) {
      init.body = body;
    } else {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    return { ok: false, status: 0, data: { message_en: "network unreachable", message_zh: "网络不可达" } };
  }
  if (response.status === 401) {
    window.location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

/** Builds an element: el("td", {class: "x"}, "text", child). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A data table with a caption; columns are [headingKey, row => cell]. */
export function table(captionKey, columns, rows, emptyKey = "common.empty") {
  const head = el("tr", {}, columns.map(([key]) => el("th", { scope: "col" }, t(key))));
  const body = rows.length
    ? rows.map((row) => el("tr", {}, columns.map(([, cell]) => el("td", {}, cell(row)))))
    : [el("tr", {}, el("td", { colspan: columns.length }, t(emptyKey)))];
  return el("table", { class: "console-table" },
    el("caption", {}, t(captionKey)), el("thead", {}, head), el("tbody", {}, body));
}

export function replace(target, ...children) {
  const node = typeof target === "string" ? document.getElementById(target) : target;
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
  return node;
}

/** A time in Beijing (the port's clock), short. */
export function beijing(iso) {
  if (!iso) return "—";
  const when = new Date(iso);
  return when.toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB", {
    timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
}

export function statusBadge(status, zh) {
  const text = lang() === "zh" && zh ? zh : t(`status.${status}`);
  return el("span", { class: `badge badge-${status}` }, text);
}

export function laneBadge(lane) {
  if (!lane) return "—";
  return el("span", { class: `lane lane-${lane}` }, t(`lane.${lane}`));
}

function errorId(form, field) {
  return `${form.id}-err-${field.replace(/[^a-zA-Z0-9]/g, "-")}`;
}

/** Clears the messages a previous answer left on a form. */
export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid]").forEach((node) => {
    node.removeAttribute("aria-invalid");
    const described = (node.getAttribute("aria-describedby") || "")
      .split(" ").filter((id) => id && !id.includes("-err-")).join(" ");
    if (described) node.setAttribute("aria-describedby", described);
    else node.removeAttribute("aria-describedby");
  });
  const summary = form.querySelector(".form-summary");
  if (summary) summary.replaceChildren();
}

/** Puts `text` under the field (or removes its message when `text` is null). */
export function setFieldError(form, input, text) {
  const id = errorId(form, input.dataset.field || input.id);
  document.getElementById(id)?.remove();
  const others = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
  if (text) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [...others, id].join(" "));
    input.closest(".field")?.append(el("p", { class: "field-error", id }, text));
  } else {
    input.removeAttribute("aria-invalid");
    if (others.length) input.setAttribute("aria-describedby", others.join(" "));
    else input.removeAttribute("aria-describedby");
  }
}

export function fieldInput(form, field) {
  return field ? form.querySelector(`[data-field="${CSS.escape(field)}"]`) : null;
}

/** Shows an API answer on a form: each error next to its field, all of them in a summary. */
export function showErrors(form, answer) {
  clearErrors(form);
  const data = answer.data || {};
  const errors = data.errors && data.errors.length ? data.errors : [{ field: "", ...data }];
  const summary = form.querySelector(".form-summary");
  const items = [];
  const byInput = new Map();
  for (const error of errors) {
    const field = error.field || "";
    const input = fieldInput(form, field);
    const text = message(error) || t("common.failed", { status: answer.status });
    if (input) byInput.set(input, byInput.has(input) ? `${byInput.get(input)} ${text}` : text);
    const jump = input && input.id ? el("a", { href: `#${input.id}` }, text) : text;
    items.push(el("li", {}, field ? el("code", {}, field) : null, field ? " " : null, jump));
  }
  for (const [input, text] of byInput) setFieldError(form, input, text);
  if (summary) {
    summary.append(el("p", { class: "summary-title" },
      t("common.errors_found", { count: errors.length })), el("ul", {}, items));
    summary.focus();
  }
}

/** A status line for the result of an action (role=status, read out by screen readers). */
export function notify(targetId, text, kind = "ok") {
  const node = document.getElementById(targetId);
  if (!node) return;
  node.className = `notice notice-${kind}`;
  node.textContent = text;
}

/** The ISO time `minutes` ago, for the start of an inspection that just finished. */
export function isoMinutesAgo(minutes) {
  return new Date(Date.now() - minutes * 60000).toISOString();
}

/** Reloads panels when the port's live stream (server-sent events) announces one of
 *  `events`; bursts are folded into one reload. */
export function onLive(events, reload) {
  if (!window.LP || !window.LP.live) return null;
  let timer = null;
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 150);
  };
  return window.LP.live(Object.fromEntries(events.map((name) => [name, later])));
}

/** Marks the console as ready (its handlers attached): tests and scanners wait for it. */
export function ready() {
  document.body.dataset.ready = "true";
}
