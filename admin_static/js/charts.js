// Small charts written for this admin (no library). Every chart is readable without seeing it:
// the bar chart *is* a table (label, value; the bar is decoration), and the time chart's SVG
// has a summary as its accessible name plus its numbers in a table below ("Show the numbers").
// SVG presentation attributes and CSSOM widths are not inline styles, so the strict CSP holds.
import { fmtNumber, h, uid } from "./dom.js";
import { t } from "./i18n.js";

const PALETTE = ["#0f766e", "#2563eb", "#b45309", "#7c3aed", "#dc2626", "#047857", "#db2777", "#4b5563"];

export function colorAt(i) { return PALETTE[i % PALETTE.length]; }

function svg(tag, attrs, ...children) { return h(`svg:${tag}`, attrs, ...children); }

/**
 * Horizontal bars: items [{label, value, lang?}] (labels already translated; `lang` marks a label
 * that is customer text, e.g. a question). A table with a caption: screen readers read each row.
 */
export function barChart(items, { format = (v) => fmtNumber(v), title = "" } = {}) {
  const rows = (items || []).filter((i) => Number(i.value) > 0 || i.value === 0);
  if (!rows.length) return h("p", { class: "empty", text: t("Nothing here yet.") });
  const max = Math.max(...rows.map((r) => Number(r.value) || 0), 1);
  return h("table", { class: "bar-chart" },
    title ? h("caption", { class: "visually-hidden", text: title }) : null,
    h("thead", { class: "visually-hidden" }, h("tr", {}, h("th", { scope: "col", text: t("Name") }), h("th", { scope: "col", text: t("Value") }))),
    h("tbody", {}, rows.map((row, i) => {
      const fill = h("span", { class: "bar-fill", "aria-hidden": "true" });
      fill.style.width = `${Math.max(1, (Number(row.value) / max) * 100)}%`;
      fill.style.background = colorAt(i);
      return h("tr", { class: "bar-row" },
        h("th", { scope: "row", class: "bar-label", dir: row.lang ? "auto" : null, lang: row.lang || null, text: String(row.label) }),
        h("td", { class: "bar-cell" },
          h("span", { class: "bar-track", "aria-hidden": "true" }, fill),
          h("span", { class: "bar-value", text: format(row.value) })));
    })));
}

/**
 * Columns over time, stacked per series: rows [{x, ...series}] and series [{key, label}].
 * Left-to-right always (time reads that way here). The SVG is named by a summary; the numbers
 * are in a table under it.
 */
export function timeChart(rows, series, { height = 180, title = "" } = {}) {
  if (!rows || !rows.length) return h("p", { class: "empty", text: t("Nothing here yet.") });
  const width = 640;
  const pad = { left: 36, right: 8, top: 8, bottom: 24 };
  const totals = rows.map((r) => series.reduce((sum, s) => sum + (Number(r[s.key]) || 0), 0));
  const max = Math.max(...totals, 1);
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const step = innerW / rows.length;
  const barW = Math.max(2, step * 0.7);
  const sums = series.map((s) => `${s.label}: ${fmtNumber(rows.reduce((sum, r) => sum + (Number(r[s.key]) || 0), 0))}`);
  const summary = `${title} — ${t("Total")}: ${sums.join(", ")} (${rows[0].x} – ${rows[rows.length - 1].x})`;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "time-chart", role: "img", "aria-label": summary, dir: "ltr" });
  for (const frac of [0, 0.5, 1]) {
    const y = pad.top + innerH * (1 - frac);
    chart.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, stroke: "#d1d5db" }),
      svg("text", { x: pad.left - 4, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#374151" }, String(Math.round(max * frac))));
  }
  rows.forEach((row, i) => {
    let base = pad.top + innerH;
    const x = pad.left + i * step + (step - barW) / 2;
    series.forEach((s, si) => {
      const value = Number(row[s.key]) || 0;
      const barH = (value / max) * innerH;
      base -= barH;
      if (barH > 0) chart.append(svg("rect", { x, y: base, width: barW, height: barH, fill: colorAt(si) }));
    });
    const every = Math.ceil(rows.length / 8);
    if (i % every === 0) {
      chart.append(svg("text", { x: x + barW / 2, y: height - 6, "text-anchor": "middle", "font-size": 11, fill: "#374151" },
        String(row.x).slice(5)));
    }
  });
  const legend = h("ul", { class: "legend", "aria-hidden": "true" }, series.map((s, i) => {
    const swatch = h("span", { class: "swatch" });
    swatch.style.background = colorAt(i);
    return h("li", { class: "legend-item" }, swatch, s.label);
  }));
  const tableId = uid("chart-table");
  const numbers = h("details", { class: "chart-numbers" },
    h("summary", { text: t("Show the numbers") }),
    h("div", { class: "table-wrap", id: tableId },
      h("table", {}, h("caption", { class: "visually-hidden", text: title }),
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("Date") }), series.map((s) => h("th", { scope: "col", text: s.label })))),
        h("tbody", {}, rows.map((row) => h("tr", {}, h("th", { scope: "row", dir: "ltr", text: String(row.x) }),
          series.map((s) => h("td", { text: fmtNumber(row[s.key] || 0) }))))))));
  return h("div", { class: "chart-box" }, chart, series.length > 1 ? legend : null, numbers);
}
