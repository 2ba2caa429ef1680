"""The HTML report of a run or a sweep: one self-contained file with inline SVG charts, so it
opens offline (no CDN) and can be mailed to someone who would rather look than read."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

_CSS = """
body{font:14px/1.45 system-ui,"Noto Sans CJK SC",sans-serif;margin:2rem auto;max-width:980px;
color:#1d2733}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .7rem;border-bottom:1px solid
#dde3ea;text-align:right}th:first-child,td:first-child{text-align:left}.muted{color:#66727f}
.grid{display:flex;flex-wrap:wrap;gap:1.5rem}.wide{overflow-x:auto}.ok{color:#17803d}
.bad{color:#b42318}
"""
_COLORS = ("#2f6fde", "#9fbef5", "#e08a1e", "#17803d", "#b42318", "#6b4bc4", "#7a5c2e")


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, Sequence[float | None]]],
    *,
    series: Sequence[str],
    unit: str = "",
    width: int = 460,
    legend: bool = True,
) -> str:
    """Horizontal grouped bars: one row per label, one bar per series. The label column
    grows with the longest label (a sweep names its configurations there)."""
    row_h, bar_h = 10 + 14 * len(series), 12
    left = min(320, max(130, 7 * max((len(label) for label, _ in bars), default=0)))
    width = max(width, left + 330, round(7.6 * len(title)))  # the title shows whole
    top_y = 44 if legend else 28
    height = top_y + row_h * len(bars) + 18
    values = [v for _, vs in bars for v in vs if v is not None]
    top = max(values) if values else 1.0
    top = top or 1.0
    scale = (width - left - 90) / top  # room for the value after the longest bar
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-weight="600">{escape(title)}</text>',
    ]
    for i, name in enumerate(series if legend else ()):
        x = left + i * 110
        parts.append(
            f'<rect x="{x}" y="24" width="10" height="10" fill="{_COLORS[i]}"/>'
            f'<text x="{x + 14}" y="33" font-size="11">{escape(name)}</text>'
        )
    for r, (label, vs) in enumerate(bars):
        y = top_y + r * row_h
        parts.append(f'<text x="0" y="{y + bar_h}" font-size="12">{escape(label)}</text>')
        for i, v in enumerate(vs):
            yy = y + i * 14
            if v is None:  # no value (e.g. no truck inspected): say so, not an empty row
                parts.append(f'<text x="{left + 4}" y="{yy + 10}" font-size="11">–</text>')
                continue
            parts.append(
                f'<rect x="{left}" y="{yy}" width="{max(1.0, v * scale):.1f}" height="{bar_h}" '
                f'fill="{_COLORS[i % len(_COLORS)]}"/><text x="{left + v * scale + 4:.1f}" '
                f'y="{yy + 10}" font-size="11">{v:g}{escape(unit)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str, xs: Sequence[str], lines: dict[str, Sequence[float | None]], *, width: int = 900
) -> str:
    """One line per figure over the configurations of a sweep, each scaled to its own maximum
    (the table below gives the values)."""
    height, left = 260, 40
    bottom = 40 + 16 * len(lines)  # the axis labels, then one legend line per figure
    step = (width - left - 20) / max(1, len(xs) - 1)
    parts = [
        f'<svg width="{width}" height="{height + bottom}" role="img" '
        f'aria-label="{escape(title)}"><text x="0" y="16" font-weight="600">'
        f"{escape(title)} (each line scaled to its maximum)</text>"
    ]
    for j, x in enumerate(xs):
        px = left + j * step
        parts.append(
            f'<text x="{px:.1f}" y="{height + 16}" font-size="10" text-anchor="middle">'
            f"{escape(x)}</text>"
        )
    for i, (name, values) in enumerate(lines.items()):
        present = [v for v in values if v is not None]
        top = max(present) if present and max(present) > 0 else 1.0
        pts = [
            f"{left + j * step:.1f},{height - 10 - (v / top) * (height - 50):.1f}"
            for j, v in enumerate(values)
            if v is not None
        ]
        color = _COLORS[i % len(_COLORS)]
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(pts)}"/>'
        )
        parts.append(
            f'<rect x="{left}" y="{height + 30 + 16 * i}" width="10" height="10" '
            f'fill="{color}"/><text x="{left + 14}" y="{height + 39 + 16 * i}" '
            f'font-size="11">{escape(name)} ({_line_note(present)})'
            "</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _line_note(present: Sequence[float]) -> str:
    """A line's legend note: its top, "0 throughout" (a figure that stayed at zero is a
    finding, not a gap), or "no data" when no configuration had the figure."""
    if not present:
        return "no data"
    return f"max {max(present):g}" if any(present) else "0 throughout"


def _table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "<p class='muted'>none</p>"
    heads = list(rows[0])
    head = "".join(f"<th>{escape(h.replace('_', ' '))}</th>" for h in heads)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_fmt(r.get(h)))}</td>" for h in heads) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1 else f"{value:,.1f}"
    return str(value)


def _share(key: str, value: Any) -> Any:
    """A utilisation (a fraction) as the percentage its chart shows."""
    return f"{value:.1%}" if key.endswith("_utilisation") and isinstance(value, float) else value


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{_CSS}</style></head><body>{body}</body></html>\n"
    )


def _scaled(value: Any, factor: float) -> float | None:
    return None if value is None else round(float(value) * factor, 1)


#: Time-release segments counted in minutes (the others take hours).
_MINUTES = ("gate_wait", "clearance", "clearance_inspected", "sealing")


def _closures(result: dict[str, Any]) -> list[str]:
    """The scenario's border closures and what they held back, when it had any."""
    closures = result.get("border_closures") or []
    if not closures:
        return []
    rows = [
        {
            "port": c["port"],
            "closed": f"{c['from']} to {c['to']}",
            "announced": c["announced"],
            "reason": c["reason"],
        }
        for c in closures
    ]
    held = result.get("trucks_held_for_closure", 0)
    return [
        "<h2>Border closures</h2>",
        _table(rows),
        f"<p>{held} released truck(s) waited for their seal while their border port was "
        "closed; parked trucks due there were re-planned by the platform.</p>",
    ]


def run_report(result: dict[str, Any]) -> str:
    """A single run: throughput, time-release, utilisation, queues and incident detection."""
    tr = result["time_release"]
    util = result["utilisation"]
    ok = result["incidents_detected"] == result["incidents_injected"] and not result["false_alerts"]
    summary = [
        {"figure": "trucks handled", "value": result["trucks_handled"]},
        {"figure": "trucks handled a day", "value": result["trucks_handled_per_day"]},
        {"figure": "trucks shut out (goods refused)", "value": result["trucks_shut_out"]},
        {"figure": "green lane handling p50 (min)", "value": result["green_clearance_p50_min"]},
        {"figure": "released at the border", "value": result["released_at_border"]},
        {"figure": "referred at the border", "value": result["referred_at_border"]},
        {"figure": "sealed, not across when the run ended", "value": result["trucks_not_across"]},
        {"figure": "simulated days per wall-clock second", "value": result["sim_days_per_wall_s"]},
        {"figure": "events per second", "value": result["events_per_s"]},
    ]
    body = [
        f"<h1>Landport digital twin: {escape(str(result['scenario']))}</h1>",
        f"<p class='muted'>{result['days']} simulated day(s), seed {result['seed']}; the "
        "platform's own rules decided every lane, release, seal and alert.</p>",
        _table(summary),
        *_closures(result),
        "<div class='grid'>",
        bar_chart(
            "Time-release in the yard's hands (minutes)",
            [(k, (v["p50_min"], v["p90_min"])) for k, v in tr.items() if k in _MINUTES],
            series=("p50", "p90"),
            unit=" min",
        ),
        bar_chart(
            "Parking, road, border and the whole yard stay (hours)",
            [
                (k, (_scaled(v["p50_min"], 1 / 60), _scaled(v["p90_min"], 1 / 60)))
                for k, v in tr.items()
                if k not in _MINUTES
            ],
            series=("p50", "p90"),
            unit=" h",
        ),
        bar_chart(
            "Utilisation",
            [(k, (round(100 * v, 1) if v is not None else None,)) for k, v in util.items()],
            series=("busy %",),
            unit="%",
        ),
        bar_chart(
            "Trucks per selectivity lane",
            [(k, (float(v),)) for k, v in sorted(result["per_lane"].items())],
            series=("trucks",),
        ),
        bar_chart(
            "Peak queue (trucks waiting at once)",
            [(k, (float(v),)) for k, v in result["peak_queue"].items()],
            series=("trucks",),
        ),
        "</div>",
        _parking_line(result),
        "<h2>Incidents and alerts</h2>",
        f"<p class='{'ok' if ok else 'bad'}'>{result['incidents_detected']} of "
        f"{result['incidents_injected']} injected incidents detected; "
        f"{result['false_alerts']} alert(s) on clean trips; precision {result['precision']}, "
        f"recall {result['recall']}.</p>",
        f"<p>Monitoring officers acknowledged {result.get('alerts_acknowledged', 0)} and "
        f"resolved {result.get('alerts_resolved', 0)} alert(s) (acknowledged in p50 "
        f"{result.get('alert_ack_p50_min')} min, resolved in p50 "
        f"{result.get('alert_resolve_p50_min')} min); "
        f"{result.get('alerts_left_open', 0)} left open.</p>",
        _table([{"kind": k, "injected": v} for k, v in result["incidents_by_kind"].items()]),
        _table([{"alert": k, "raised": v} for k, v in result["alerts_by_kind"].items()]),
    ]
    return _page("Landport digital twin", "".join(body))


def _parking_line(result: dict[str, Any]) -> str:
    """The lot in words: its slots, the most parked at once, and who waited for a slot."""
    lot = result.get("parking")
    if not lot:
        return ""
    return (
        f"<p>Parking: {lot['slots']} slots, at most {lot['peak_in_use']} trucks parked at once; "
        f"{lot['trucks_waited']} sealed truck(s) waited in the yard lane for a slot "
        f"({lot['refused_tries']} tries refused with their zone full).</p>"
    )


#: What a sweep charts, one chart each: key, title, unit, factor from the stored value.
SWEEP_FIGURES = (
    ("trucks_handled_per_day", "Trucks handled a day", "", 1.0),
    ("released_at_border", "Released at the border", "", 1.0),
    ("trucks_not_across", "Sealed, not across when the run ended", "", 1.0),
    ("gate_wait_p90_min", "Gate wait p90 (minutes)", " min", 1.0),
    ("inspected_clearance_p90_min", "Clearance p90 of inspected trucks (minutes)", " min", 1.0),
    ("yard_total_p90_min", "Time in the yard p90 (hours)", " h", 1 / 60),
    ("peak_parking", "Peak trucks parked", "", 1.0),
    ("parking_waited", "Sealed trucks that waited for a parking slot", "", 1.0),
    ("parking_utilisation", "Parking in use (%)", "%", 100.0),
    ("inspected_trucks", "Trucks inspected (yellow and red lanes)", "", 1.0),
    ("scan_lane_utilisation", "Scan lanes busy (%)", "%", 100.0),
)


def sweep_report(rows: Sequence[dict[str, Any]], axes: Sequence[str]) -> str:
    """A sweep: a bar chart per figure with a bar per configuration, named by the values
    that vary (those that do not are said once); when one resource takes three or more
    values, a line chart of every figure along it; then the table."""
    varied = [a for a in axes if len({r[a] for r in rows}) > 1] or list(axes)
    fixed = ", ".join(f"{a}={rows[0][a]}" for a in axes if a not in varied) if rows else ""
    labels = [", ".join(f"{a}={r[a]}" for a in varied) for r in rows]
    charts = []
    for key, title, unit, factor in SWEEP_FIGURES:
        bars = [
            (label, (_scaled(r.get(key), factor),)) for label, r in zip(labels, rows, strict=True)
        ]
        charts.append(bar_chart(title, bars, series=(title,), unit=unit, legend=False))
    body = [
        "<h1>Landport capacity sweep</h1>",
        f"<p class='muted'>{len(rows)} configurations"
        + (f"; in all of them {escape(fixed)}" if fixed else "")
        + ". Each ran the platform's own rules with the same seed.</p>",
    ]
    if len(varied) == 1 and len(rows) >= 3:
        axis = varied[0]
        body.append(
            line_chart(
                f"Every figure along {axis}",
                [str(r[axis]) for r in rows],
                {
                    title: [_scaled(r.get(key), f) for r in rows]
                    for key, title, _, f in SWEEP_FIGURES
                },
            )
        )
    shown = [{k: _share(k, v) for k, v in r.items()} for r in rows]  # as the charts say them
    body += ["<div class='grid'>", *charts, "</div>", "<div class='wide'>", _table(shown), "</div>"]
    return _page("Landport capacity sweep", "".join(body))
