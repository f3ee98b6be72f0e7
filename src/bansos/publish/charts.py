"""Inline SVG charts for the published HTML report: no JavaScript, no network, no plotting library.

The report is opened on office computers, attached to letters and archived; a self-contained file
with SVG drawn here renders the same everywhere and years later. Three shapes are enough:
horizontal stacked bars (each kab/kota by programme), lines (the monthly trend) and columns
(Rupiah per month). Every chart has a ``<title>`` and a text legend, and the numbers behind it are
printed in a table beside it in the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

PALETTE = ("#1b6ca8", "#e07b24", "#3a9d5d", "#c23b3b", "#7c5cbf", "#8c6d31", "#d45f9e", "#5f7d8c")
FONT = "font-family:system-ui,Segoe UI,Arial,sans-serif;font-size:12px"


def number(value: float) -> str:
    """12,345 in Indonesian style: 12.345."""
    return f"{value:,.0f}".replace(",", ".")


def short_number(value: float) -> str:
    """Axis labels: 1,2 jt, 350 rb, 12 M (juta, ribu, miliar)."""
    for size, unit in ((1e12, "T"), (1e9, "M"), (1e6, "jt"), (1e3, "rb")):
        if abs(value) >= size:
            text = f"{value / size:.1f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{text} {unit}"
    return number(value)


def nice_max(value: float, ticks: int = 5) -> tuple[float, float]:
    """An axis maximum and tick step that are round numbers."""
    if value <= 0:
        return 1.0, 1.0 / ticks
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if raw <= step * magnitude:
            step *= magnitude
            break
    return step * math.ceil(value / step), step


def _legend(labels: Sequence[str], x: float, y: float) -> list[str]:
    parts, cursor = [], x
    for i, label in enumerate(labels):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{cursor:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{cursor + 14:.1f}" y="{y:.1f}">{escape(label)}</text>')
        cursor += 24 + 7 * len(label)
    return parts


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="100%" style="max-width:{width:.0f}px;{FONT}" role="img">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def stacked_bars(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], title: str,
                 fmt: Callable[[float], str] = number) -> str:
    """One horizontal bar per category, split into one segment per series (e.g. kab/kota x programme)."""
    label_w, bar_h, gap, width = 150, 22, 8, 760
    plot_w = width - label_w - 90
    top = 30
    totals = [sum(values[i] or 0 for _, values in series) for i in range(len(categories))]
    axis_max, step = nice_max(max(totals, default=0))
    height = top + len(categories) * (bar_h + gap) + 40
    body = _legend([name for name, _ in series], label_w, 16)
    axis_y = top + len(categories) * (bar_h + gap)
    tick = 0.0
    while tick <= axis_max + 1e-9:  # grid first, bars over it
        tx = label_w + plot_w * tick / axis_max
        body.append(f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{axis_y}" stroke="#ddd"/>')
        body.append(f'<text x="{tx:.1f}" y="{axis_y + 14}" text-anchor="middle">{short_number(tick)}</text>')
        tick += step
    for i, category in enumerate(categories):
        y = top + i * (bar_h + gap)
        body.append(f'<text x="{label_w - 6}" y="{y + bar_h * 0.7:.1f}" '
                    f'text-anchor="end">{escape(category)}</text>')
        x = float(label_w)
        for s, (name, values) in enumerate(series):
            value = values[i] or 0
            w = plot_w * value / axis_max
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                            f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(category)}, {escape(name)}: '
                            f"{fmt(value)}</title></rect>")
            x += w
        body.append(f'<text x="{x + 4:.1f}" y="{y + bar_h * 0.7:.1f}">{fmt(totals[i])}</text>')
    return _svg(width, height, title, body)


def _frame(x_labels: Sequence[str], axis_max: float, step: float, left: float, top: float, plot_w: float,
           plot_h: float) -> list[str]:
    body = []
    tick = 0.0
    while tick <= axis_max + 1e-9:
        ty = top + plot_h - plot_h * tick / axis_max
        body.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="#ddd"/>')
        body.append(f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end">{short_number(tick)}</text>')
        tick += step
    slot = plot_w / max(len(x_labels), 1)
    for i, label in enumerate(x_labels):
        body.append(f'<text x="{left + slot * (i + 0.5):.1f}" y="{top + plot_h + 16}" '
                    f'text-anchor="middle">{escape(label)}</text>')
    return body


def lines(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], title: str,
          fmt: Callable[[float], str] = number) -> str:
    """One line per series over the x labels (e.g. KK per programme per month); gaps stay gaps."""
    width, height, left, top = 760, 300, 70, 34
    plot_w, plot_h = width - left - 20, height - top - 40
    peak = max((v for _, values in series for v in values if v is not None), default=0)
    axis_max, step = nice_max(peak)
    body = _legend([name for name, _ in series], left, 16)
    body += _frame(x_labels, axis_max, step, left, top, plot_w, plot_h)
    slot = plot_w / max(len(x_labels), 1)
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        points = [(left + slot * (i + 0.5), top + plot_h - plot_h * v / axis_max, v)
                  for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y, v), label in zip(points, [x_labels[i] for i, v in enumerate(values) if v is not None],
                                    strict=True):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                        f"<title>{escape(name)}, {escape(label)}: {fmt(v)}</title></circle>")
    return _svg(width, height, title, body)


def columns(x_labels: Sequence[str], values: Sequence[float | None], title: str,
            fmt: Callable[[float], str] = number) -> str:
    """One column per x label (e.g. Rupiah per month)."""
    width, height, left, top = 760, 280, 70, 20
    plot_w, plot_h = width - left - 20, height - top - 40
    axis_max, step = nice_max(max((v or 0 for v in values), default=0))
    body = _frame(x_labels, axis_max, step, left, top, plot_w, plot_h)
    slot = plot_w / max(len(x_labels), 1)
    for i, (label, v) in enumerate(zip(x_labels, values, strict=True)):
        if not v:
            continue
        h = plot_h * v / axis_max
        body.append(f'<rect x="{left + slot * i + slot * 0.15:.1f}" y="{top + plot_h - h:.1f}" '
                    f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{PALETTE[0]}">'
                    f"<title>{escape(label)}: {fmt(v)}</title></rect>")
    return _svg(width, height, title, body)
