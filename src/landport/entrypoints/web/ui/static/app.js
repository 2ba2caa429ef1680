/* Landport's shared page script: translations, API calls with the session, live events.
 * Every page loads it; pages use window.LP. No build step, no third-party code. */
(function () {
  "use strict";

  const catalog = JSON.parse(document.getElementById("lp-i18n").textContent || "{}");
  const lang = document.documentElement.lang || "zh-CN";

  /** The text of `key` in the page's language; {name} placeholders filled from `values`. */
  function t(key, values) {
    let text = Object.prototype.hasOwnProperty.call(catalog, key) ? catalog[key] : "[" + key + "]";
    if (values) {
      text = text.replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
    }
    return text;
  }

  /** The message of an API error body (or a violation) in the page's language. */
  function message(item) {
    if (!item) return t("common.error");
    return (lang === "en" ? item.message_en : item.message_zh) || item.message_en || t("common.error");
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

  /** Calls the JSON API with the session cookie; writes carry the CSRF header.
   *  api("/api/v1/declarations", {method: "POST", body: {...}}) -> parsed JSON, or throws ApiError. */
  async function api(path, options) {
    const opts = options || {};
    const method = (opts.method || "GET").toUpperCase();
    const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    let body = opts.body;
    if (body !== undefined && !(body instanceof FormData) && typeof body !== "string") {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
    let response;
    try {
      response = await fetch(path, { method, headers, body, credentials: "same-origin" });
    } catch (err) {
      throw new ApiError(0, { message_en: t("common.network_error"), message_zh: t("common.network_error") });
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (err) { data = { message_en: text, message_zh: text }; }
    if (response.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /** Shows an ApiError's violations next to the form fields they name (`name` = field path);
   *  the rest in the form's [data-form-errors] box. Returns the number of messages shown. */
  function showErrors(form, error) {
    clearErrors(form);
    const box = form.querySelector("[data-form-errors]");
    const general = [];
    const items = error.errors && error.errors.length ? error.errors : [error.body];
    for (const item of items) {
      const field = item && item.field ? form.querySelector('[name="' + CSS.escape(item.field) + '"]') : null;
      if (field) {
        field.setAttribute("aria-invalid", "true");
        const note = document.createElement("p");
        note.className = "field-error";
        note.id = "err-" + item.field.replace(/[^\w-]/g, "_");
        note.textContent = message(item);
        field.setAttribute("aria-describedby", note.id);
        field.insertAdjacentElement("afterend", note);
      } else {
        general.push((item && item.field ? item.field + ": " : "") + message(item));
      }
    }
    if (box) {
      box.hidden = general.length === 0;
      box.replaceChildren(...general.map((text) => Object.assign(document.createElement("p"), { textContent: text })));
    }
    return items.length;
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((el) => el.remove());
    form.querySelectorAll("[aria-invalid]").forEach((el) => {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    const box = form.querySelector("[data-form-errors]");
    if (box) { box.hidden = true; box.replaceChildren(); }
  }

  /** Subscribes to the live event stream: live({"alert.opened": fn, ...}, onStatus).
   *  The browser reconnects by itself and resumes from the last event id. */
  function live(handlers, onStatus) {
    const source = new EventSource("/api/v1/events/stream");
    for (const [name, fn] of Object.entries(handlers)) {
      source.addEventListener(name, (ev) => fn(JSON.parse(ev.data), ev));
    }
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
  const dateTimeFormat = new Intl.DateTimeFormat(lang, {
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

  window.LP = { t, lang, api, ApiError, message, showErrors, clearErrors, live, fmt, pick, csrfToken };
})();
