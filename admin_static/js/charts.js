// Small SVG charts written for this admin (no library): horizontal bars for breakdowns and
// a column/line chart for activity over time. SVG presentation attributes are not inline
// styles, so they pass the strict CSP.
import { h } from "./dom.js";

const PALETTE = ["#0f766e", "#2563eb", "#d97706", "#7c3aed", "#dc2626", "#059669", "#db2777", "#4b5563"];

export function colorAt(i) { return PALETTE[i % PALETTE.length]; }

function svg(tag, attrs, ...children) { return h(`svg:${tag}`, attrs, ...children); }

/** Horizontal bars: items [{label, value}]. Labels are text nodes, so any string is safe. */
export function barChart(items, { format = (v) => String(v), title = "" } = {}) {
  const rows = (items || []).filter((i) => Number(i.value) > 0 || i.value === 0);
  if (!rows.length) return h("p", { class: "empty", text: "—" });
  const max = Math.max(...rows.map((r) => Number(r.value) || 0), 1);
  return h("div", { class: "bar-chart", role: "img", "aria-label": title },
    rows.map((row, i) => {
      const fill = h("span", { class: "bar-fill" });
      fill.style.width = `${Math.max(1, (Number(row.value) / max) * 100)}%`;
      fill.style.background = colorAt(i);
      return h("div", { class: "bar-row" },
        h("span", { class: "bar-label", title: String(row.label), text: String(row.label) }),
        h("span", { class: "bar-track" }, fill),
        h("span", { class: "bar-value", text: format(row.value) }));
    }));
}

/**
 * Columns over time, stacked per series: rows [{x, ...series}] and series [{key, label}].
 * Left-to-right always (time reads that way in both languages here).
 */
export function timeChart(rows, series, { height = 180, title = "" } = {}) {
  if (!rows || !rows.length) return h("p", { class: "empty", text: "—" });
  const width = 640;
  const pad = { left: 36, right: 8, top: 8, bottom: 24 };
  const totals = rows.map((r) => series.reduce((sum, s) => sum + (Number(r[s.key]) || 0), 0));
  const max = Math.max(...totals, 1);
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const step = innerW / rows.length;
  const barW = Math.max(2, step * 0.7);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "time-chart", role: "img", "aria-label": title, dir: "ltr" });
  for (const frac of [0, 0.5, 1]) {
    const y = pad.top + innerH * (1 - frac);
    chart.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, stroke: "#e5e7eb" }),
      svg("text", { x: pad.left - 4, y: y + 4, "text-anchor": "end", "font-size": 10, fill: "#6b7280" }, String(Math.round(max * frac))));
  }
  rows.forEach((row, i) => {
    let base = pad.top + innerH;
    const x = pad.left + i * step + (step - barW) / 2;
    series.forEach((s, si) => {
      const value = Number(row[s.key]) || 0;
      const barH = (value / max) * innerH;
      base -= barH;
      if (barH > 0) {
        chart.append(svg("rect", { x, y: base, width: barW, height: barH, fill: colorAt(si) },
          svg("title", {}, `${row.x} · ${s.label}: ${value}`)));
      }
    });
    const every = Math.ceil(rows.length / 8);
    if (i % every === 0) {
      chart.append(svg("text", { x: x + barW / 2, y: height - 6, "text-anchor": "middle", "font-size": 10, fill: "#6b7280" },
        String(row.x).slice(5)));
    }
  });
  const legend = h("div", { class: "legend" }, series.map((s, i) => {
    const swatch = h("span", { class: "swatch" });
    swatch.style.background = colorAt(i);
    return h("span", { class: "legend-item" }, swatch, s.label);
  }));
  return h("div", { class: "chart-box" }, chart, series.length > 1 ? legend : null);
}
