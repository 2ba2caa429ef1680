// Shared helpers of the role consoles. Translating, calling the API and showing form errors
// are app.js's (window.LP, loaded by every page before this module runs): these are only the
// consoles' way of calling them, plus what only the consoles draw (tables, badges, notices).

const LP = window.LP;

// One implementation each, in app.js.
export const { el, clearErrors, setFieldError, showErrors, requireFields, now } = LP;

/** "zh" or "en", for the consoles' choice between the *_zh and *_en fields of a record. */
export function lang() {
  return LP.lang === "en" ? "en" : "zh";
}

/** The console's text for `key` (catalog `consoles.*.json`), falling back to the shared keys. */
export function t(key, vars) {
  const own = `consoles.${key}`;
  return LP.t(LP.has(own) ? own : key, vars);
}

/** The API message of an error or check in the page's language; "" when it has none, so that
 *  callers can add their own fallback with `||`. */
export function message(obj) {
  return LP.message(obj, "");
}

/** A refused action's status line: "Not done:" and each violation (named by the label of
 *  `form`'s field when it has one), in the page's language. */
export function failed(answer, form) {
  return LP.errorSummary(answer, form);
}

/** Calls the JSON API with the session's credentials and the CSRF header on writes; never
 *  throws on an HTTP error: resolves to {ok, status, data}. A FormData body is sent as is;
 *  `key` (an Idempotency-Key, see `write`) makes a write retry-safe on the endpoints that
 *  take one. */
export async function api(method, path, body, { key } = {}) {
  const headers = key ? { "Idempotency-Key": key } : undefined;
  const answer = await LP.request(path, { method, body, headers });
  if (answer.status === 0) {
    // The consoles' own words for it: the screen's catalog text promises a retry they do not make.
    answer.data = { message_en: "network unreachable", message_zh: "网络不可达" };
  }
  return answer;
}

/** A form's retry-safe write: `entered` (what the user entered) sent as the body `build`
 *  makes of it (by default, as entered), under an Idempotency-Key. Until the server answers
 *  (`settled`), a submission of the same entered values sends the body first built again
 *  (its times included) under the same key: a second click, or a retry after the network
 *  failed before the answer came, replays the first answer instead of acting twice. Other
 *  values are a new request, and so is the next submission once the write was answered.
 *  Resolves to api()'s answer. */
export async function write(form, method, path, entered, build = (values) => values) {
  const typed = JSON.stringify(entered);
  let body;
  if (form.dataset.writeKey && form.dataset.writeEntered === typed) {
    body = JSON.parse(form.dataset.writeBody);
  } else {
    body = build(entered);
    form.dataset.writeKey = randomKey();
    form.dataset.writeEntered = typed;
    form.dataset.writeBody = JSON.stringify(body);
  }
  const answer = await api(method, path, body, { key: form.dataset.writeKey });
  if (settled(answer)) {
    delete form.dataset.writeKey;
    delete form.dataset.writeEntered;
    delete form.dataset.writeBody;
  }
  return answer;
}

/** 16 random bytes in hex, from getRandomValues, which plain-HTTP pages have (randomUUID
 *  needs a secure context, and a border post may run without TLS). */
function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether the server itself answered a write (done or refused): not a network failure, not
 *  a gateway between (502-504, or a page that is not the API's JSON), after which the write
 *  may still have been done and must be retried under the same key. */
function settled(answer) {
  return answer.status !== 0 && ![502, 503, 504].includes(answer.status) && answer.raw === undefined;
}

/** Every row of a paged list, a page of `pageSize` at a time, at most `maxPages` pages:
 *  {ok, items, total, data} (`data` the first refused answer's). Callers say how many
 *  (`total - items.length`) were left out rather than cut the list silently. */
export async function listAll(path, { pageSize = 200, maxPages = 5 } = {}) {
  const items = [];
  let total = 0;
  for (let page = 1; page <= maxPages; page += 1) {
    const sep = path.includes("?") ? "&" : "?";
    const answer = await api("GET", `${path}${sep}page_size=${pageSize}&page=${page}`);
    if (!answer.ok) return { ok: false, items, total, data: answer.data };
    items.push(...answer.data.items);
    total = answer.data.total;
    if (items.length >= total || answer.data.items.length < pageSize) break;
  }
  return { ok: true, items, total: Math.max(total, items.length) };
}

/** The "N more not listed" line under a list cut at its bound, or null when nothing is;
 *  `key` words it for a list in another order (the oldest are left out by default). */
export function moreNote(total, shown, key = "common.more") {
  return total > shown ? el("p", { class: "hint", "data-more": total - shown }, t(key, { count: total - shown })) : null;
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

/** What the sign of a gate, lane or bay says in the page's language (`id` when unnamed). */
export function signName(resource, id) {
  return (lang() === "zh" ? resource.name_zh : resource.name_en) || id;
}

/** Replaces a choice list's options and keeps what the user picked while it is still
 *  offered: the lists are read again on every live event, seconds apart on a busy day.
 *  True when the choice stays (or none was made). */
export function refill(select, ...options) {
  const node = typeof select === "string" ? document.getElementById(select) : select;
  const current = node.value;
  replace(node, ...options);
  node.value = current;
  return node.value === current;
}

/** A time in Beijing (the port's clock), short, as every page writes it (`LP.fmt`); "—"
 *  for no time (the big screen writes "–"). */
export function beijing(iso) {
  return iso ? LP.fmt.dateTime(iso) : "—";
}

export function statusBadge(status, zh) {
  const text = lang() === "zh" && zh ? zh : t(`status.${status}`);
  return el("span", { class: `badge badge-${status}` }, text);
}

/** What a risk rule does, in the page's language: `{force_lane}` or `{score}` (a rule's
 *  `then` as published, or a fired rule as the assessment lists it). */
export function ruleEffect(effect) {
  if (effect.force_lane) return t("rule.force_lane", { lane: t(`lane.${effect.force_lane}`) });
  if (typeof effect.score === "number") {
    return t("rule.score", { points: effect.score > 0 ? `+${effect.score}` : String(effect.score) });
  }
  return effect.effect || "";
}

export function laneBadge(lane) {
  if (!lane) return "—";
  return el("span", { class: `lane lane-${lane}` }, t(`lane.${lane}`));
}

/** A status line for the result of an action (role=status, read out by screen readers). */
export function notify(targetId, text, kind = "ok") {
  const node = document.getElementById(targetId);
  if (!node) return;
  node.className = `notice notice-${kind}`;
  node.textContent = text;
}

/** Empties a status line: an action starting clears what the previous one said. */
export function clearNotice(targetId) {
  const node = document.getElementById(targetId);
  if (!node) return;
  node.className = "";
  node.textContent = "";
}

let stream = null; // the page's one live-event stream, opened by the first `onLive`

/** Reloads panels when the port's live stream (server-sent events) announces one of
 *  `events`: soon after the first, then at most once every `everyMs` however many come (a
 *  busy yard announces several a second; one read shows them all). */
export function onLive(events, reload, everyMs = 2000) {
  let timer = null;
  let last = -Infinity;
  const run = () => { timer = null; last = Date.now(); reload(); };
  const later = () => {
    if (timer !== null) return; // a reload is coming: it reads what this event changed too
    timer = setTimeout(run, Math.max(150, last + everyMs - Date.now()));
  };
  // one stream per page, however many panels listen: a browser gives a host six connections
  stream = stream || LP.live({});
  for (const name of events) stream.addEventListener(name, later);
  return stream;
}

/** `draw` for a panel that holds buttons, held back while the pointer is over it or the
 *  focus inside it (a redrawn row would move under the cursor and a click land on another
 *  truck) and drawn when the pointer leaves. Returns `redraw(now)`: `now` draws at once
 *  (after the person's own action, whose result they expect to see). */
export function steadyWhileUsed(id, draw) {
  const node = document.getElementById(id);
  let pending = false;
  const inUse = () => node.matches(":hover") || node.contains(document.activeElement);
  const flush = () => { if (pending && !inUse()) { pending = false; draw(); } };
  node.addEventListener("mouseleave", flush);
  node.addEventListener("focusout", () => setTimeout(flush, 0));
  return (now = false) => {
    if (!now && inUse()) { pending = true; return; }
    pending = false;
    draw();
  };
}

/** Marks the console as ready (its handlers attached): tests and scanners wait for it. */
export function ready() {
  document.body.dataset.ready = "true";
}
