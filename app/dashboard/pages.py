"""The dashboard's HTML, rendered on the server: every table readable with JavaScript off.

Charts are ``<canvas>`` elements that ``static/dashboard.js`` fills with
Chart.js from the JSON embedded in the page; the retention heatmap is SVG
drawn here. Every value is escaped; the embedded JSON cannot close its
``<script>`` element.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

from attrib.dashboard import charts
from attrib.dashboard.csvfile import cell
from attrib.dashboard.data import Table
from attrib.dashboard.query import DashboardQuery

REFRESH_SECONDS = 30
STATIC = "/dashboard/static"
CHART_JS = "chart-4.4.7.umd.js"
#: Tables of a row per day and source: long, so folded behind a disclosure (no script needed).
FOLDED = frozenset({"daily", "retention"})

#: (query, heading, what the chart shows)
SECTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "daily",
        "Daily installs by media source",
        "Installs (attributed, organic, re-attributed) per UTC day.",
    ),
    (
        "retention",
        "Retention cohorts",
        "Share of each install day's cohort active on day 1, 3, 7, 14 and 30.",
    ),
    (
        "ctit",
        "Click-to-install time",
        "Attributed click installs per CTIT bucket, per media source. Shaded: the buckets the "
        "fraud rules flag (under the minimum CTIT, 10 s by default: click injection; over "
        "7 days: click flooding).",
    ),
    (
        "fraud",
        "Fraud",
        "Blocked installs and rejected touches by reason, stacked by media source.",
    ),
    (
        "postback_outcomes",
        "Postback outcomes",
        "Postback deliveries per day of their first attempt, by outcome.",
    ),
)


def _layout(title: str, body: str, *, refresh: bool = False) -> str:
    meta = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{meta}
<title>{escape(title)} · Attrib</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{STATIC}/dashboard.css">
</head><body>
<header><h1>Attrib dashboard</h1></header>
<main>
{body}
</main>
</body></html>
"""


def login_page(message: str = "") -> str:
    error = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    return _layout(
        "Sign in",
        f"""<form class="login" method="post" action="/dashboard/login">
<h2>Sign in</h2>{error}
<label>Admin token <input type="password" name="token" id="token"
  autocomplete="current-password" required autofocus></label>
<button type="submit" id="sign-in">Sign in</button>
</form>""",
    )


def message_page(message: str, apps: Sequence[str], query: DashboardQuery | None = None) -> str:
    return _layout(
        "Dashboard",
        _picker(apps, query) + f'<p class="error" role="alert" id="message">{escape(message)}</p>',
    )


def _picker(apps: Sequence[str], query: DashboardQuery | None) -> str:
    selected = query.app if query else ""
    options = "".join(
        f'<option value="{escape(a)}"{" selected" if a == selected else ""}>{escape(a)}</option>'
        for a in apps
    )
    if selected and selected not in apps:
        options += f'<option value="{escape(selected)}" selected>{escape(selected)}</option>'
    date_from = query.date_from.isoformat() if query else ""
    date_to = query.date_to.isoformat() if query else ""
    return f"""<form class="picker" method="get" action="/dashboard">
<label>App <select name="app" id="app">{options}</select></label>
<label>From <input type="date" name="from" id="from" value="{date_from}"></label>
<label>To <input type="date" name="to" id="to" value="{date_to}"></label>
<button type="submit" id="show">Show</button>
</form>
<form class="logout" method="post" action="/dashboard/logout">
<button type="submit">Sign out</button></form>"""


def _url(path: str, params: Mapping[str, str]) -> str:
    return escape(f"{path}?{urlencode(params)}")


def _table(
    table: Table,
    query: DashboardQuery,
    *,
    sortable: bool = False,
    columns: Sequence[str] = (),
    folded: bool = False,
) -> str:
    """The table as HTML with its CSV link; ``folded``: behind a "Table" disclosure."""
    columns = list(columns or table.columns)
    index = [table.columns.index(c) for c in columns]
    rows = table.rows
    if sortable and query.sort in columns:
        i = table.columns.index(query.sort)
        rows = sorted(rows, key=lambda r: _sort_key(r[i]), reverse=query.descending)
    head = []
    for column in columns:
        label = escape(column)
        if sortable:
            desc = query.sort == column and not query.descending
            arrow = ""
            if query.sort == column:
                arrow = " ▼" if query.descending else " ▲"
            href = _url(
                "/dashboard", query.query_string(sort=column, dir="desc" if desc else "asc")
            )
            label = f'<a href="{href}">{label}{arrow}</a>'
        head.append(f"<th scope=col>{label}</th>")
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell(row[i]))}</td>" for i in index) + "</tr>"
        for row in rows
    )
    if not rows:
        body = f'<tr><td colspan="{len(columns)}" class="empty">No rows in this range.</td></tr>'
    csv_href = _url(f"/dashboard/csv/{table.name}.csv", query.query_string())
    html = f"""<div class="table-wrap"><table id="table-{table.name}" data-table="{table.name}">
<thead><tr>{"".join(head)}</tr></thead><tbody>{body}</tbody></table></div>"""
    if folded:
        html = f'<details class="rows"><summary>Table ({len(rows)} rows)</summary>{html}</details>'
    return f'{html}<a class="csv" href="{csv_href}" download>Download CSV</a>'


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, dict):
        return (1, sum(float(v) for v in value.values()))
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


def _sql(name: str, sql: str) -> str:
    return f"""<details class="sql"><summary>SQL</summary>
<pre id="sql-{name}">{escape(sql)}</pre></details>"""


def _tiles(totals: Mapping[str, Any]) -> str:
    rate = totals["conversion_rate"]
    tiles = [
        ("installs", "Installs", str(totals["all_installs"])),
        ("attributed", "Attributed installs", str(totals["installs"])),
        ("organic", "Organic installs", str(totals["organic_installs"])),
        ("clicks", "Clicks", str(totals["clicks"])),
        ("conversion", "Conversion rate", "–" if rate is None else f"{rate:.2%}"),
        ("blocked", "Blocked installs", str(totals["blocked_installs"])),
    ]
    tiles += [
        (f"revenue-{currency}", f"Revenue {currency}", cell(amount))
        for currency, amount in totals["revenue"].items()
    ]
    return (
        '<section class="tiles">'
        + "".join(
            f'<div class="tile"><span class="label">{escape(label)}</span>'
            f'<span class="value" data-figure="{escape(key)}">{escape(value)}</span></div>'
            for key, label, value in tiles
        )
        + "</section>"
    )


def heatmap_svg(grid: Sequence[Mapping[str, Any]]) -> str:
    """The retention cohorts as an SVG heatmap: a row per install day, a column per day N."""
    if not grid:
        return '<p class="empty">No installs in this range.</p>'
    cw, ch, left, top = 64, 22, 150, 24
    width = left + cw * len(charts.RETENTION_DAYS) + 4
    height = top + ch * len(grid) + 4
    parts = [
        f'<svg class="heatmap" id="chart-retention" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        "<title>Retention by install day</title>"
    ]
    for j, n in enumerate(charts.RETENTION_DAYS):
        x = left + j * cw + cw / 2
        parts.append(f'<text x="{x}" y="16" text-anchor="middle">day {n}</text>')
    for i, row in enumerate(grid):
        y = top + i * ch
        parts.append(
            f'<text x="4" y="{y + 15}">{escape(row["install_day"])} ({row["installs"]})</text>'
        )
        for j, n in enumerate(charts.RETENTION_DAYS):
            share = row[f"day_{n}"]
            x = left + j * cw
            if share is None:
                fill, label = "#eeeeee", "–"
            else:
                # white (0 %) to a deep blue (60 % and over)
                t = min(float(share) / 0.6, 1.0)
                r, g, b = (round(255 - (255 - c) * t) for c in (31, 90, 170))
                fill, label = f"rgb({r},{g},{b})", f"{float(share):.0%}"
            colour = "#ffffff" if share is not None and float(share) > 0.35 else "#222222"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cw - 2}" height="{ch - 2}" fill="{fill}"/>'
                f'<text x="{x + cw / 2}" y="{y + 15}" text-anchor="middle" '
                f'fill="{colour}">{label}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _json_script(data: Any) -> str:
    text = json.dumps(data, default=str, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="dashboard-data">{text}</script>'


def dashboard_page(
    query: DashboardQuery,
    apps: Sequence[str],
    tables: Mapping[str, Table],
    sql: Mapping[str, str],
) -> str:
    """The whole dashboard for ``query``."""
    days = charts.days_of(query.date_from, query.date_to)
    overview = tables["overview"].as_dicts()
    chart_data = {
        "daily": charts.daily_installs(tables["daily"].as_dicts(), days),
        "ctit": charts.ctit_histogram(tables["ctit"].as_dicts()),
        "fraud": charts.fraud_bars(tables["fraud"].as_dicts()),
        "postback_outcomes": charts.postback_outcomes(tables["postback_outcomes"].as_dicts(), days),
    }
    grid = charts.retention_grid(tables["retention"].as_dicts())
    refresh = query.includes_today
    status = (
        f"Refreshes every {REFRESH_SECONDS} s (the range includes today)."
        if refresh
        else "The range is in the past: no automatic refresh."
    )
    parts = [
        _picker(apps, query),
        f'<p class="status">{escape(query.app)}, {query.date_from} to {query.date_to} (UTC). '
        f"{status}</p>",
        _tiles(charts.overview_totals(overview)),
        '<section id="overview"><h2>Overview</h2>',
        '<p class="hint">Per media source and campaign; click a column to sort.</p>',
        _table(tables["overview"], query, sortable=True),
        _sql("overview", sql["overview"]),
        "</section>",
    ]
    for name, heading, what in SECTIONS:
        parts.append(
            f'<section id="{name}"><h2>{escape(heading)}</h2><p class="hint">{escape(what)}</p>'
        )
        if name == "retention":
            parts.append(heatmap_svg(grid))
        elif name == "postback_outcomes" and not chart_data[name]["datasets"]:
            parts.append(
                '<p class="empty" id="empty-postbacks">No postback deliveries in this range.</p>'
            )
        elif not chart_data[name]["datasets"]:
            parts.append(f'<p class="empty" id="empty-{name}">Nothing to draw in this range.</p>')
        else:
            parts.append(
                f'<div class="chart"><canvas id="chart-{name}" data-chart="{name}" '
                f'aria-label="{escape(heading)}"></canvas>'
                '<noscript><p class="empty">This chart needs JavaScript; '
                "the table below has its figures.</p></noscript></div>"
            )
        parts.append(_sql(name, sql[name]))
        parts.append(_table(tables[name], query, folded=name in FOLDED))
        if name == "postback_outcomes":
            parts.append("<h3>Per destination host</h3>")
            parts.append(_table(tables["postbacks"], query))
            parts.append(_sql("postbacks", sql["postbacks"]))
        parts.append("</section>")
    parts.append(_json_script(chart_data))
    parts.append(f'<script src="{STATIC}/{CHART_JS}"></script>')
    parts.append(f'<script src="{STATIC}/dashboard.js"></script>')
    return _layout(f"{query.app}", "\n".join(parts), refresh=refresh)


__all__ = ["REFRESH_SECONDS", "dashboard_page", "heatmap_svg", "login_page", "message_page"]
