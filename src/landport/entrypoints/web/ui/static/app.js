/* Landport's shared page script: translations, API calls with the session, form errors, live events.
 * Every page loads it; pages use window.LP (the consoles through consoles/common.js).
 * No build step, no third-party code. */
(function () {
  "use strict";

  const catalog = JSON.parse(document.getElementById("lp-i18n").textContent || "{}");
  const lang = document.documentElement.lang || "zh-CN";

  /** Whether the page's catalog has `key` (the consoles look up their own key first). */
  function has(key) {
    return Object.prototype.hasOwnProperty.call(catalog, key);
  }

  /** The text of `key` in the page's language; {name} placeholders filled from `values`. */
  function t(key, values) {
    let text = has(key) ? catalog[key] : "[" + key + "]";
    if (values) {
      // A function replacer: a value such as "$&" is inserted as written.
      text = text.replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
    }
    return text;
  }

  /** The message of an API error body (or a violation, or a border check) in the page's
   *  language, else in the other one; `fallback` when it carries none (default: the
   *  generic error text; the consoles pass "" to add their own). */
  function message(item, fallback) {
    const none = fallback === undefined ? t("common.error") : fallback;
    if (!item) return none;
    const mine = lang === "en" ? item.message_en : item.message_zh;
    const other = lang === "en" ? item.message_zh : item.message_en;
    return mine || other || none;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super(message(body));
      this.status = status;
      this.body = body || {};
      this.errors = (body && body.errors) || [];
      this.warnings = (body && body.warnings) || [];
    }
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /** Calls the JSON API with the session cookie; writes carry the CSRF header. Never throws:
   *  request("/api/v1/visits", {method: "POST", body: {...}}) -> {ok, status, data}, where
   *  data is the parsed JSON body or null, and status is 0 when the server was not reached.
   *  A body that is not JSON (a proxy's error page, say) is kept as `raw`. */
  async function request(path, options) {
    const opts = options || {};
    const method = (opts.method || "GET").toUpperCase();
    const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    // null means "no body", like undefined: a bare POST (yard: fees paid, park) sends nothing.
    let body = opts.body === null ? undefined : opts.body;
    if (body !== undefined && !(body instanceof FormData) && typeof body !== "string") {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
    let response;
    try {
      response = await fetch(path, { method, headers, body, credentials: "same-origin" });
    } catch (err) {
      return { ok: false, status: 0, data: null };
    }
    if (response.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
    }
    const text = await response.text();
    let data = null;
    let raw;
    try { data = text ? JSON.parse(text) : null; } catch (err) { raw = text; }
    return { ok: response.ok, status: response.status, data, raw };
  }

  /** request() for code that prefers exceptions (the big screen):
   *  api("/api/v1/declarations", {method: "POST", body: {...}}) -> parsed JSON, or throws ApiError. */
  async function api(path, options) {
    const answer = await request(path, options);
    let data = answer.data;
    if (answer.status === 0) {
      data = { message_en: t("common.network_error"), message_zh: t("common.network_error") };
    } else if (answer.raw !== undefined) {
      data = { message_en: answer.raw, message_zh: answer.raw };
    }
    if (!answer.ok) throw new ApiError(answer.status, data);
    return data;
  }

  /** Builds an element: el("td", {class: "x", onclick: fn}, "text", child). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
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

  // --- form errors: each input carries data-field="<the API's field path>", sits in a
  // .field wrapper, and the form has a .form-summary box (templates/consoles/_fields.html).

  function errorId(form, field) {
    return `${form.id}-err-${field.replace(/[^a-zA-Z0-9]/g, "-")}`;
  }

  function fieldInput(form, field) {
    return field ? form.querySelector(`[data-field="${CSS.escape(field)}"]`) : null;
  }

  /** Clears the messages a previous answer left on a form; an input's own hint stays described. */
  function clearErrors(form) {
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
  function setFieldError(form, input, text) {
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

  /** The visible text of the label of `input` (without the "required" star), or "". */
  function fieldLabel(input) {
    if (!input || !input.id) return "";
    const label = document.querySelector(`label[for="${CSS.escape(input.id)}"]`);
    if (!label) return "";
    const copy = label.cloneNode(true);
    copy.querySelectorAll(".required").forEach((node) => node.remove());
    return copy.textContent.trim();
  }

  /** One violation in the page's language. The validator's own wording for a missing or
   *  empty field ("Field required", "String should have at least 1 character") is replaced
   *  by the consoles' sentence naming the field by its label. */
  function violationText(error, label, status) {
    const code = error.code || "";
    const empty = code === "missing"
      || (code === "string_too_short" && /at least 1 character/.test(error.message_en || ""));
    if (empty && has("consoles.common.required")) {
      return t("consoles.common.required", { label: label || error.field || "" });
    }
    const text = message(error, "") || t("consoles.common.failed", { status });
    return label && error.field ? withoutPath(text, error.field, label) : text;
  }

  /** A message for a field the form labels, without the API's path for it: the label comes
   *  first on the form ("Container number: ..."), so "containers[0].number（集装箱号）：" at the
   *  head of the message goes, and elsewhere the path reads as the label. A bare field name
   *  inside a sentence is replaced only when it cannot be an English word (a dot, an index or
   *  an underscore in it: "reason" stays). A Chinese name may hold brackets: 净重（千克）. */
  function withoutPath(text, field, label) {
    const quoted = field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const named = "（(?:[^（）]|（[^（）]*）)*）";
    const lead = new RegExp(`^${quoted}(${named})?\\s*[:：]\\s*`);
    if (lead.test(text)) return text.replace(lead, "");
    const out = text.replace(new RegExp(`${quoted}${named}`, "g"), () => label);
    if (!/[.[_]/.test(field)) return out;
    return out.replace(new RegExp(`(?<![\\w.\\]])${quoted}(?![\\w\\[.])`, "g"), () => label);
  }

  /** An API answer as lines, one per violation (or the answer's own message when it lists
   *  none): [{input, field, label, text}], `input` being the form's field when it has one. */
  function errorLines(answer, form) {
    const data = (answer instanceof ApiError ? answer.body : answer.data) || {};
    const errors = data.errors && data.errors.length ? data.errors : [{ field: "", ...data }];
    return errors.map((error) => {
      const field = error.field || "";
      const input = form ? fieldInput(form, field) : null;
      const label = fieldLabel(input);
      return { input, field, label, text: violationText(error, label, answer.status) };
    });
  }

  /** A status line for a refused action: "Not done:" then each violation, labels first. */
  function errorSummary(answer, form) {
    const lines = errorLines(answer, form).map((line) => (line.label ? `${line.label}: ${line.text}` : line.text));
    return `${t("consoles.common.not_done")} ${lines.join("; ")}`;
  }

  /** A refusal on one of these is about the record's state, not a value typed: the message
   *  says what is missing, and the API's field name means nothing to an officer. */
  const STATE_FIELDS = /^(status|state|fees|holds(\[\d+\])?)$/;

  /** Shows an API answer on a form: each error next to its field, all of them in the summary,
   *  which takes the focus (its links jump to the fields). `answer` is a request() answer
   *  ({status, data}) or an ApiError. Summary items name the field by its label; a field
   *  the form does not show is named by its path unless the message already says it or it is
   *  the record's state (`STATE_FIELDS`). */
  function showErrors(form, answer) {
    clearErrors(form);
    const summary = form.querySelector(".form-summary");
    const lines = errorLines(answer, form);
    const items = [];
    const byInput = new Map();
    for (const { input, field, label, text } of lines) {
      if (input) byInput.set(input, byInput.has(input) ? `${byInput.get(input)} ${text}` : text);
      const jump = input && input.id ? el("a", { href: `#${input.id}` }, text) : text;
      const name = label || (field && !STATE_FIELDS.test(field) && !text.includes(field) ? field : "");
      items.push(el("li", {}, name ? el("strong", {}, `${name}: `) : null, jump));
    }
    for (const [input, text] of byInput) setFieldError(form, input, text);
    if (summary) {
      summary.append(el("p", { class: "summary-title" },
        t("consoles.common.errors_found", { count: lines.length })), el("ul", {}, items));
      summary.focus();
    }
  }

  /** Checks the named fields of `form` are filled before anything is sent: each empty one
   *  gets the "required" message beside it and in the summary. True when all are filled. */
  function requireFields(form, fields) {
    const errors = [];
    for (const field of fields) {
      const input = fieldInput(form, field);
      if (input && !String(input.value || "").trim()) errors.push({ field, code: "missing" });
    }
    if (!errors.length) return true;
    showErrors(form, { status: 0, data: { errors } });
    return false;
  }

  /** Subscribes to the live event stream: live({"alert.opened": fn, ...}, onStatus).
   *  The browser reconnects by itself and resumes from the last event id. */
  function live(handlers, onStatus) {
    const source = new EventSource("/api/v1/events/stream");
    for (const [name, fn] of Object.entries(handlers)) {
      source.addEventListener(name, (ev) => fn(JSON.parse(ev.data), ev));
    }
    // the session was withdrawn (logged out elsewhere, account deactivated): the page
    // reloads, which leads to the login page, instead of retrying a refused stream
    source.addEventListener("session.ended", () => { source.close(); location.reload(); });
    if (onStatus) {
      source.addEventListener("open", () => onStatus(true));
      source.addEventListener("error", () => onStatus(false));
    }
    return source;
  }

  const numberFormat = new Intl.NumberFormat(lang);
  const timeFormat = new Intl.DateTimeFormat(lang, {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false,
  });
  // Day before month in English, as the consoles write it (en-GB): one reading of 01/12
  // on every page of the port.
  const dateTimeFormat = new Intl.DateTimeFormat(lang.startsWith("en") ? "en-GB" : lang, {
    timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
  });

  /** Formatting in the page's language; times are shown in Beijing time. */
  const fmt = {
    number: (n) => (n === null || n === undefined ? "–" : numberFormat.format(n)),
    time: (iso) => (iso ? timeFormat.format(new Date(iso)) : "–"),
    dateTime: (iso) => (iso ? dateTimeFormat.format(new Date(iso)) : "–"),
    minutes: (m) => (m === null || m === undefined ? "–" : numberFormat.format(Math.round(m * 10) / 10) + " " + t("unit.min")),
  };

  /** Picks the page-language field of a bilingual record: pick(place, "name") -> name_zh | name_en. */
  function pick(record, base) {
    if (!record) return "";
    return (lang === "en" ? record[base + "_en"] : record[base + "_zh"]) || record[base + "_en"] || record[base] || "";
  }

  // The platform's time when the page was served, ticking on at the platform's pace: the
  // times a page fills in for the user are the port's (the demo's clock runs ahead).
  const served = { at: Date.parse(document.body.dataset.now || ""), loaded: Date.now() };
  const pace = Number(document.body.dataset.clockRate) > 0 ? Number(document.body.dataset.clockRate) : 1;

  /** The platform's time now (the browser's own when the page did not say). */
  function now() {
    if (Number.isNaN(served.at)) return new Date();
    // the time since loading by the wall (a monotonic clock stops while a laptop sleeps)
    return new Date(served.at + (Date.now() - served.loaded) * pace);
  }

  window.LP = {
    t, has, lang, request, api, ApiError, message, el, showErrors, clearErrors, setFieldError,
    errorSummary, requireFields, fieldLabel, live, fmt, pick, csrfToken, now,
  };
})();
