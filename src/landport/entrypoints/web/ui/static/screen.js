/* The monitoring big screen: figures, charts, the corridor map, alerts, one truck's file.
 * Everything is read from /api/v1/screen/*; the live event stream says when to re-read,
 * and alerts are shown the moment they arrive. */
(function () {
  "use strict";
  const { t, has, api, fmt, pick, live, lang } = window.LP;

  const COLORS = {
    green: "#3ddc84", blue: "#4aa3ff", yellow: "#ffd54a", red: "#ff5c5c",
    declared: "#4aa3ff", released: "#3ddc84", exited: "#ffb74a",
    alarm: "#ff4d4d", warning: "#ffc233", info: "#8fb3d9",
    new_three: "#3ddc84", old_three: "#ffb74a", other: "#8fa3ba",
  };
  const ROUTE_COLORS = ["#4fc3f7", "#ba9cff", "#ffa26b", "#7ee0c3"];
  const charts = {};
  let map = null;
  const tripMarkers = new Map();
  const alertMarkers = new Map();
  // What officers did to alerts the monitor still tracks: its updates carry no such state.
  const handledAlerts = new Map();
  let tripsById = new Map();

  const short = (name) => String(name || "").split(/[（(]/)[0].trim();
  const $ = (id) => document.getElementById(id);
  /** Tooltip content as text: Leaflet would parse a string as HTML, and names are data. */
  const tip = (text) => {
    const span = document.createElement("span");
    span.textContent = text;
    return span;
  };

  // --- figures ----------------------------------------------------------------------------

  function renderSummary(s, fetched) {
    setClock(s, fetched);
    const trucks = s.trucks;
    $("kpi-declared").textContent = fmt.number(trucks.declared);
    $("kpi-capacity").textContent = fmt.number(trucks.capacity);
    const pct = Math.min(100, Math.round((trucks.utilisation || 0) * 100));
    $("kpi-bar").setAttribute("aria-valuenow", String(pct));
    $("kpi-bar").firstElementChild.style.width = pct + "%";
    for (const key of ["expected", "in_yard", "in_transit", "at_border", "exited"]) {
      $("kpi-" + key).textContent = fmt.number(trucks[key]);
    }
    $("kpi-median").textContent = fmt.minutes(s.clearance.median_min);
    $("kpi-alerts").textContent = fmt.number(s.alerts.open);
    $("kpi-alerts").parentElement.classList.toggle("has-alarm", s.alerts.alarm > 0);
    $("alert-tally").textContent = t("screen.alerts.tally", {
      raised: fmt.number(s.alerts.raised_24h), resolved: fmt.number(s.alerts.resolved_24h),
      closed: fmt.number(s.alerts.closed_24h), open: fmt.number(s.alerts.open),
    });
    $("kpi-saving").textContent = "¥" + fmt.number(s.cost_saving.total_cny);
    $("kpi-saving-note").textContent = t("screen.kpi.saving_note", {
      per: fmt.number(s.cost_saving.per_container_cny), n: fmt.number(s.cost_saving.containers),
    });
    renderLanes(s.lanes);
    renderSegments(s.clearance.segments);
    if (!document.body.dataset.loaded) performance.mark("lp-figures"); // first meaningful paint
    document.body.dataset.loaded = "true";
  }

  // --- charts -----------------------------------------------------------------------------

  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init($(id), "dark", { renderer: "canvas" });
      // a chart's height is what its column leaves (the alert lists grow and shrink, the
      // window changes): it redraws at its box's new size
      new ResizeObserver(() => charts[id].resize()).observe($(id));
    }
    return charts[id];
  }
  const base = { backgroundColor: "transparent", textStyle: { fontFamily: "Noto Sans CJK SC, sans-serif", fontSize: 14 } };
  const axisText = { color: "#c9d6e6", fontSize: 13 };
  // containLabel: the axis labels (longer in English) get their room inside the chart
  const grid = { left: 8, right: 16, top: 30, bottom: 8, containLabel: true };

  function renderLanes(lanes) {
    const data = ["green", "blue", "yellow", "red"].map((lane) => ({
      name: t("lane." + lane), value: lanes[lane] || 0, itemStyle: { color: COLORS[lane] },
    }));
    chart("chart-lanes").setOption(Object.assign({}, base, {
      tooltip: { trigger: "item" },
      legend: { orient: "vertical", right: 8, top: "middle", textStyle: axisText },
      // each lane's count on its own slice (an outside label of a thin slice was cut to "…")
      series: [{ type: "pie", radius: ["42%", "78%"], center: ["35%", "50%"], data,
        label: { show: true, position: "inside", color: "#0b1420", fontWeight: "bold", fontSize: 14,
          formatter: (p) => (p.value ? String(p.value) : "") } }],
    }));
  }

  function renderSegments(segments) {
    const rows = segments.filter((s) => s.p50_min !== null);
    chart("chart-segments").setOption(Object.assign({}, base, {
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 24, top: 10, bottom: 8, containLabel: true },
      xAxis: { type: "value", axisLabel: axisText },
      yAxis: { type: "category", data: rows.map((r) => t("segment." + r.segment)), axisLabel: axisText },
      series: [
        { name: "P50", type: "bar", data: rows.map((r) => r.p50_min), itemStyle: { color: "#4aa3ff" } },
        { name: "P90", type: "bar", data: rows.map((r) => r.p90_min), itemStyle: { color: "#ffb74a" } },
      ],
    }), true);
  }

  function renderCharts(c) {
    chart("chart-throughput").setOption(Object.assign({}, base, {
      tooltip: { trigger: "axis" },
      legend: { top: 0, textStyle: axisText },
      grid,
      xAxis: { type: "category", data: c.hours, axisLabel: axisText },
      yAxis: { type: "value", minInterval: 1, axisLabel: axisText },
      series: ["declared", "released", "exited"].map((k) => ({
        name: t("screen.series." + k), type: k === "declared" ? "bar" : "line", smooth: true,
        data: c.throughput[k], itemStyle: { color: COLORS[k] },
      })),
    }));
    const groups = {};
    for (const row of c.cargo_mix) groups[row.group] = (groups[row.group] || 0) + row.items;
    chart("chart-cargo").setOption(Object.assign({}, base, {
      tooltip: { trigger: "item" },
      // the groups' legend in one row above the rings: the category labels take both sides
      legend: { data: Object.keys(groups).map((g) => t("cargo." + g)), orient: "horizontal", left: 0, top: 0, textStyle: axisText },
      series: [
        { type: "pie", radius: [0, "30%"], center: ["50%", "58%"], label: { show: false },
          data: Object.entries(groups).map(([g, n]) => ({ name: t("cargo." + g), value: n, itemStyle: { color: COLORS[g] } })) },
        // category names wrap at the panel's edge rather than end in "…" (Lithium-io…)
        { type: "pie", radius: ["40%", "58%"], center: ["50%", "58%"],
          label: { color: "#e6eef8", fontSize: 12, lineHeight: 14, alignTo: "edge", edgeDistance: 2, overflow: "break" },
          labelLine: { length: 6, length2: 4 }, labelLayout: { hideOverlap: false },
          data: c.cargo_mix.map((r) => ({ name: t("cargo." + r.category), value: r.items })) },
      ],
    }), true);
    barChart("chart-provinces", c.provinces.map((r) => short(pick(r, "name"))), c.provinces.map((r) => r.items), "#4fc3f7");
    barChart("chart-ports", c.border_ports.map((r) => short(pick(r, "name"))), c.border_ports.map((r) => r.trucks), "#ba9cff");
    barChart("chart-saving", c.saving_by_port.map((r) => short(pick(r, "name"))), c.saving_by_port.map((r) => r.total_cny), "#3ddc84");
  }

  function barChart(id, names, values, color) {
    const tilt = names.some((n) => n.length > 6) ? 35 : 0;  // long English names, side by side in a narrow chart
    chart(id).setOption(Object.assign({}, base, {
      tooltip: { trigger: "axis" },
      grid: { left: tilt ? 30 : 8, right: 16, top: 26, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: names, axisLabel: Object.assign({}, axisText, { interval: 0, fontSize: 12, rotate: tilt }) },
      // each bar carries its figure: no value axis to crowd a chart a few lines high
      yAxis: { type: "value", minInterval: 1, show: false },
      series: [{ type: "bar", data: values, itemStyle: { color },
        label: { show: true, position: "top", color: "#fff", formatter: (p) => fmt.number(p.value) } }],
    }), true);
  }

  // --- the map ----------------------------------------------------------------------------

  async function initMap() {
    const el = $("map");
    map = L.map(el, { zoomSnap: 0.25, attributionControl: true, preferCanvas: false });
    map.fitBounds([[27.6, 82.9], [30.1, 90.3]]);
    map.attributionControl.setPrefix(false);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "" }).addTo(map);
    } else {
      map.attributionControl.addAttribution("Natural Earth");
    }
    const [topo, port] = await Promise.all([
      fetch("/assets/vendor/world-atlas/countries-50m.json").then((r) => r.json()),
      api("/api/v1/screen/map"),
    ]);
    if (!el.dataset.tileUrl) {
      const countries = topojson.feature(topo, topo.objects.countries);
      L.geoJSON(countries, {
        style: (f) => ({
          color: "#6f8bab", weight: 1,
          fillColor: f.properties.name === "China" ? "#1d3552" : f.properties.name === "Nepal" ? "#2c2f4a" : "#16202e",
          fillOpacity: 1,
        }),
        interactive: false,
      }).addTo(map);
    }
    L.geoJSON(port.corridors, {
      style: (f) => ({ color: ROUTE_COLORS[port.corridors.features.indexOf(f) % ROUTE_COLORS.length], weight: 4, opacity: 0.9, dashArray: f.properties.approximate ? "8 6" : null }),
      onEachFeature: (f, layer) => layer.bindTooltip(tip(f.properties.name + " · " + fmt.number(f.properties.road_km) + " km")),
    }).addTo(map);
    for (const p of port.places) {
      const major = p.kind === "border_port" || p.kind === "inland_port";
      if (!major && !["city", "town"].includes(p.kind)) continue;
      L.circleMarker([p.lat, p.lon], {
        radius: major ? 7 : 3, color: major ? "#ffffff" : "#9fb4cc", weight: major ? 2 : 1,
        fillColor: p.kind === "border_port" ? "#ffb74a" : p.kind === "inland_port" ? "#4aa3ff" : "#9fb4cc", fillOpacity: 1,
        interactive: false,
      }).bindTooltip(tip(short(pick(p, "name"))), { permanent: major, direction: p.kind === "inland_port" ? "left" : "right", className: "place-label" + (major ? " major" : "") })
        .addTo(map);
    }
  }

  function tripColor(trip) {
    if (trip.worst_severity === "alarm") return COLORS.alarm;
    if (trip.worst_severity === "warning") return COLORS.warning;
    return trip.state === "at_border" ? "#ffb74a" : "#3ddc84";
  }

  function renderTrips(items) {
    tripsById = new Map(items.map((trip) => [trip.trip_id, trip]));
    for (const [id, marker] of tripMarkers) {
      if (!tripsById.has(id)) { marker.remove(); tripMarkers.delete(id); }
    }
    for (const trip of items) {
      if (trip.lat === null || trip.lon === null) continue;
      let marker = tripMarkers.get(trip.trip_id);
      const style = { radius: 8, color: "#0b1420", weight: 2, fillColor: tripColor(trip), fillOpacity: 1 };
      if (!marker) {
        marker = L.circleMarker([trip.lat, trip.lon], style).addTo(map);
        marker.on("click", () => openTruck(trip.declaration_id));
        tripMarkers.set(trip.trip_id, marker);
      } else {
        glide(marker, [trip.lat, trip.lon]);
        marker.setStyle(style);
      }
      marker.bindTooltip(tip(trip.vehicle_plate + " · " + stateLabel(trip)));
    }
    const list = $("truck-list");
    list.replaceChildren(...items.map((trip) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "truck-button";
      button.dataset.declarationId = trip.declaration_id;
      button.dataset.tripId = trip.trip_id;
      button.innerHTML = '<span class="dot"></span><span class="plate"></span><span class="state"></span>';
      button.querySelector(".dot").style.background = tripColor(trip);
      button.querySelector(".plate").textContent = trip.vehicle_plate;
      button.querySelector(".state").textContent = stateLabel(trip) + " · " + short(t("place." + trip.exit_port));
      button.addEventListener("click", () => openTruck(trip.declaration_id));
      li.append(button);
      return li;
    }));
  }

  /** Hours and minutes, Beijing time. */
  const hourFormat = new Intl.DateTimeFormat(lang, {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" });
  const dateHourFormat = new Intl.DateTimeFormat(lang.startsWith("en") ? "en-GB" : lang, {
    timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  /** Since when: the time alone today (Beijing, by the platform's clock), with the date
   *  before that: a truck resting since yesterday afternoon is not "since 16:25". */
  function sinceText(since) {
    const today = clockAnchor ? dayFormat.format(platformNow()) : null;
    return today === dayFormat.format(since) ? hourFormat.format(since) : dateHourFormat.format(since);
  }

  /** A trip's state; a truck through the gate-out before its e-lock reported it outside
   *  the yard has left the gate (the figures count it in transit). */
  function stateLabel(trip) {
    const state = trip.gated_out && trip.state === "in_yard" ? t("screen.trip.gated_out") : t("trip_state." + trip.state);
    // on the road, the rest stop or checkpoint it lies at; resting there (at night, most of
    // the trucks), since when
    const zone = trip.zone;
    if (!zone || !zone.stopping_place) return state;
    const place = short(pick(zone, "name"));
    if (zone.resting && zone.since) {
      return t("screen.trip.resting", { place, since: sinceText(new Date(zone.since)) });
    }
    return state + " · " + place;
  }

  /** Moves a marker smoothly to its new position over one second. */
  function glide(marker, to) {
    const from = marker.getLatLng();
    if (Math.abs(from.lat - to[0]) < 1e-6 && Math.abs(from.lng - to[1]) < 1e-6) return;
    const start = performance.now();
    const step = (now) => {
      const k = Math.min(1, (now - start) / 1000);
      marker.setLatLng([from.lat + (to[0] - from.lat) * k, from.lng + (to[1] - from.lng) * k]);
      if (k < 1) requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  // --- alerts -----------------------------------------------------------------------------

  function alertItem(a, fresh) {
    const li = document.createElement("li");
    li.className = "alert-item severity-" + a.severity + (fresh ? " flash" : "");
    li.dataset.alertId = a.id;
    const trip = tripsById.get(a.trip_id);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "alert-button";
    const head = document.createElement("span");
    head.className = "alert-head";
    head.textContent = t("alert_kind." + a.kind) + " · " + (a.vehicle_plate || (trip && trip.vehicle_plate) || "");
    const text = document.createElement("span");
    text.className = "alert-text";
    text.textContent = pick(a, "message");
    const time = document.createElement("time");
    time.textContent = fmt.dateTime(a.opened_at || a.started_at);
    button.append(head, text, time);
    if (a.state === "acknowledged") markHandled(li, button);
    const declarationId = a.declaration_id || (trip && trip.declaration_id);
    if (declarationId) button.addEventListener("click", () => openTruck(declarationId));
    li.append(button);
    return li;
  }

  const UNRESOLVED = new Set(["open", "acknowledged"]);

  /** The unresolved alerts, then, muted below, those that ended in the last 24 hours. */
  function renderAlerts(items) {
    const open = items.filter((a) => UNRESOLVED.has(a.state));
    const ended = items.filter((a) => !UNRESOLVED.has(a.state));
    const list = $("alert-list");
    const fresh = new Set([...list.querySelectorAll(".flash")].map((el) => el.dataset.alertId));
    list.replaceChildren(...open.map((a) => alertItem(a, fresh.has(a.id))));
    for (const a of open) showAlertOnMap(a, false);
    // ended on the wall: a monitor update arriving late must not list it as open again
    for (const a of ended) {
      if (a.state === "resolved") handledAlerts.set(a.id, "resolved");
      const marker = alertMarkers.get(a.id);
      if (marker) { marker.remove(); alertMarkers.delete(a.id); }
    }
    $("handled-list").replaceChildren(...ended.map(handledItem));
    showEmpty();
  }

  /** "Nothing open" said in words: an empty list on a wall looks like a broken screen. */
  function showEmpty() {
    $("alert-none").hidden = $("alert-list").children.length > 0;
    $("handled-none").hidden = $("handled-list").children.length > 0;
    noteHidden();
  }

  /** A wall is not scrolled: unresolved alerts below the list's edge are counted in words. */
  function noteHidden() {
    const list = $("alert-list");
    const edge = list.getBoundingClientRect().bottom + 1;
    const hidden = [...list.children].filter((li) => li.getBoundingClientRect().bottom > edge).length;
    const more = $("alert-more");
    more.hidden = hidden === 0;
    more.textContent = hidden ? t("screen.alerts.more", { n: fmt.number(hidden) }) : "";
  }
  new ResizeObserver(noteHidden).observe($("alert-list")); // the column or the window changed

  /** An alert that has ended: what, which truck, when raised, and how and when it ended. */
  function handledItem(a) {
    const li = document.createElement("li");
    li.className = "handled-item outcome-" + a.state;
    li.dataset.alertId = a.id;
    li.dataset.state = a.state;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "handled-button";
    const head = document.createElement("span");
    head.className = "handled-head";
    head.textContent = t("alert_kind." + a.kind) + " · " + (a.vehicle_plate || a.trip_id);
    const raised = document.createElement("time");
    raised.dateTime = a.opened_at;
    raised.textContent = t("screen.alerts.raised_at", { at: fmt.dateTime(a.opened_at) });
    const outcome = document.createElement("span");
    outcome.className = "handled-outcome";
    outcome.textContent = outcomeText(a);
    button.append(head, raised, outcome);
    if (a.declaration_id) button.addEventListener("click", () => openTruck(a.declaration_id));
    li.append(button);
    return li;
  }

  function outcomeText(a) {
    const at = fmt.dateTime(a.closed_at);
    if (a.state === "resolved") {
      return a.finding ? t("screen.alerts.resolved_finding", { at, finding: a.finding }) : t("screen.alerts.resolved", { at });
    }
    const why = "screen.track_closed." + a.monitor_resolution;
    return a.monitor_resolution && has(why) ? t("screen.alerts.closed_because", { at, why: t(why) }) : t("screen.alerts.closed", { at });
  }

  function showAlertOnMap(a, fresh) {
    const details = a.details || {};
    const lat = a.lat ?? details.lat, lon = a.lon ?? details.lon;
    if (lat === undefined || lat === null || !map || alertMarkers.has(a.id)) return;
    const icon = L.divIcon({ className: "alert-pulse severity-" + a.severity + (fresh ? " fresh" : ""), iconSize: [22, 22] });
    alertMarkers.set(a.id, L.marker([lat, lon], { icon, keyboard: false }).addTo(map)
      .bindTooltip(tip(pick(a, "message"))));
  }

  /** An officer has acknowledged it: still unresolved, but someone is on it. */
  function markHandled(li, button) {
    if (li.classList.contains("acknowledged")) return;
    li.classList.add("acknowledged");
    const badge = document.createElement("span");
    badge.className = "alert-handled";
    badge.textContent = t("screen.alerts.acknowledged");
    button.append(badge);
  }

  function dropAlert(id) {
    const existing = $("alert-list").querySelector('[data-alert-id="' + CSS.escape(id) + '"]');
    if (existing) existing.remove();
    showEmpty();
    const marker = alertMarkers.get(id);
    if (marker) { marker.remove(); alertMarkers.delete(id); }
  }

  function onAlert(data) {
    const list = $("alert-list");
    const existing = list.querySelector('[data-alert-id="' + CSS.escape(data.id) + '"]');
    const handled = handledAlerts.get(data.id);
    if (data.action === "opened") handledAlerts.delete(data.id);
    else if (handled === "resolved") return;  // a deviation still growing after its finding
    if (data.action === "closed" || data.closed_at) {
      dropAlert(data.id);
      soon("alerts", loadAlerts);  // listed again below, with how it ended
    } else {
      const state = data.action === "opened" ? data.state : (data.state || handled);
      const item = alertItem(Object.assign({}, data, { state }), true);
      if (existing) existing.replaceWith(item); else list.prepend(item);
      showAlertOnMap(data, true);
      showEmpty();
    }
    soon("summary", loadSummary);
    soon("trips", loadTrips);
  }

  // --- one truck --------------------------------------------------------------------------

  function row(label, value) {
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.scope = "row"; th.textContent = label;
    const td = document.createElement("td"); td.textContent = value === null || value === undefined || value === "" ? "–" : value;
    tr.append(th, td);
    return tr;
  }

  function table(caption, rows) {
    const section = document.createElement("section");
    const h = document.createElement("h3"); h.textContent = caption;
    const tbl = document.createElement("table"); tbl.append(...rows);
    section.append(h, tbl);
    return section;
  }

  async function openTruck(declarationId) {
    const panel = $("truck-panel");
    const body = $("truck-body");
    body.textContent = t("common.loading");
    panel.hidden = false;
    let data;
    try {
      data = await api("/api/v1/screen/trucks/" + encodeURIComponent(declarationId));
    } catch (err) {
      body.textContent = err.message;
      return;
    }
    const d = data.declaration, c = d.declaration;
    const parts = [
      table(t("screen.truck.declaration"), [
        row(t("screen.truck.number"), d.number),
        row(t("screen.truck.status"), t("status." + d.status)),
        row(t("screen.truck.lane"), d.lane ? t("lane." + d.lane) : ""),
        row(t("screen.truck.enterprise"), d.enterprise_uscc),
        row(t("screen.truck.plate"), c.vehicle_plate),
        row(t("screen.truck.exit_port"), short(t("place." + c.exit_port))),
        row(t("screen.truck.containers"), (c.containers || []).map((x) => x.number).join(", ")),
      ]),
      table(t("screen.truck.goods"), (c.items || []).map((item) =>
        row(item.hs_code, item.name + " · " + fmt.number(Number(item.quantity)) + " " + t("goods_unit." + item.unit) + " · ¥" + fmt.number(Number(item.value))))),
    ];
    if (data.passport) {
      parts.push(table(t("screen.truck.passport"), [
        row(t("screen.truck.digest"), data.passport.digest.slice(0, 16) + "…"),
        row(t("screen.truck.digest_matches"), data.passport.digest_matches ? t("common.yes") : t("common.no")),
        ...(d.inspections || []).map((i) => row(t("inspection." + i.kind), t("result." + i.result))),
      ]));
    }
    if (data.trip) {
      const trip = data.trip;
      parts.push(table(t("screen.truck.trip"), [
        row(t("screen.truck.seal"), trip.seal_id),
        row(t("screen.truck.trip_state"), t("trip_state." + trip.state)),
        row(t("screen.truck.route"), short(t("place.shigatse-land-port")) + " → " + short(t("place." + trip.exit_port))),
        row(t("screen.truck.window"), fmt.dateTime(trip.window_start) + " – " + fmt.dateTime(trip.window_end)),
        row(t("screen.truck.last_fix"), trip.last_position ? fmt.dateTime(trip.last_position.fix_time) : ""),
        ...((trip.alerts || []).filter((a) => a.state === "open" || a.state === "acknowledged").map((a) => row(t("alert_kind." + a.kind), pick(a, "message")))),
      ]));
    }
    body.replaceChildren(...parts);
    $("truck-title").textContent = t("screen.truck.title") + " · " + c.vehicle_plate;
    $("truck-close").focus();
  }

  function closeTruck() {
    $("truck-panel").hidden = true;
  }

  // --- loading and live updates -----------------------------------------------------------

  async function loadSummary() {
    const sent = performance.now();
    const s = await api("/api/v1/screen/summary");
    renderSummary(s, (sent + performance.now()) / 2);  // as_of was read about half-way
  }
  async function loadCharts() { renderCharts(await api("/api/v1/screen/charts")); }
  async function loadTrips() { renderTrips((await api("/api/v1/screen/trips")).items); }
  /** The unresolved alerts and those that ended in the last 24 hours of the platform's clock. */
  async function loadAlerts() {
    renderAlerts((await api("/api/v1/screen/alerts?limit=50&include_handled_hours=24")).items);
  }

  const timers = {};
  /** Coalesces bursts of events (the twin at 60x) into one reload per half second. */
  function soon(name, fn) {
    if (timers[name]) return;
    timers[name] = setTimeout(() => { timers[name] = null; fn().catch(() => {}); }, 500);
  }

  // The header shows the platform's time, not the browser's: every figure is at the server's
  // clock (the demo's twin runs it at 60 times real time), so it ticks on from the last summary's
  // `as_of` at the server's `clock_rate`.
  const clockFormat = new Intl.DateTimeFormat(lang, {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  let clockAnchor = null;

  function setClock(s, fetched) {
    const at = Date.parse(s.as_of);
    if (Number.isNaN(at)) return;
    const rate = typeof s.clock_rate === "number" && s.clock_rate >= 0 ? s.clock_rate : 1;
    clockAnchor = { at, fetched, rate };
    tick();
  }

  /** The platform's time now, from the last summary's `as_of` and the clock's pace. */
  function platformNow() {
    return new Date(clockAnchor.at + (performance.now() - clockAnchor.fetched) * clockAnchor.rate);
  }

  function tick() {
    if (!clockAnchor) return;  // nothing rather than the browser's own time
    const now = platformNow();
    const el = $("clock");
    el.textContent = clockFormat.format(now);
    el.dateTime = now.toISOString();
  }

  async function start() {
    tick();
    setInterval(tick, 1000);
    $("truck-close").addEventListener("click", closeTruck);
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeTruck(); });
    await loadSummary();
    const mapReady = initMap();
    await Promise.all([loadCharts(), mapReady]);
    await loadTrips();
    await loadAlerts();
    const status = $("live-status");
    const declarationChanged = () => { soon("summary", loadSummary); soon("charts", loadCharts); };
    live({
      "declaration.lodged": declarationChanged,
      "declaration.assessed": declarationChanged,
      "declaration.status": declarationChanged,
      "declaration.released": declarationChanged,
      "trip.armed": () => { soon("trips", loadTrips); declarationChanged(); },
      "trip.state": () => { soon("trips", loadTrips); soon("summary", loadSummary); },
      "trip.closed": () => { soon("trips", loadTrips); declarationChanged(); },
      "alert.opened": onAlert,
      "alert.updated": onAlert,
      "alert.closed": onAlert,
      // an officer's acknowledgement keeps the alert listed (unresolved); a resolution ends it
      "alert.handled": (data) => {
        handledAlerts.set(data.id, data.state);
        if (data.state === "resolved") { dropAlert(data.id); soon("alerts", loadAlerts); }
        const item = $("alert-list").querySelector('[data-alert-id="' + CSS.escape(data.id) + '"]');
        if (item && data.state === "acknowledged") markHandled(item, item.querySelector("button"));
        soon("summary", loadSummary);
        soon("trips", loadTrips);
      },
      "positions.changed": () => soon("trips", loadTrips),
      // through the gate: the figures move, and a truck out of the gate is listed as such
      "visit.changed": () => { soon("summary", loadSummary); soon("trips", loadTrips); },
    }, (connected) => {
      status.dataset.state = connected ? "live" : "offline";
      status.textContent = connected ? t("common.live") : t("common.offline");
    });
    // the rolling day moves on: alerts older than 24 hours leave the handled list
    setInterval(() => {
      loadSummary().catch(() => {}); loadTrips().catch(() => {}); loadAlerts().catch(() => {});
    }, 60_000);
  }

  start();
})();
