// Reports: five tabs over GET /v1/analytics/reports with filters, charts and CSV export
// (downloaded with the token via fetch + blob, so no token ever sits in a link).
import { api, download, qs } from "../api.js";
import { fmtNumber, h, mount, table, toast } from "../dom.js";
import { t } from "../i18n.js";
import { barChart } from "../charts.js";
import { activityChart, kpiTiles, pairs } from "./dashboard.js";
import { card, failure, labelOf, rangePicker } from "../ui.js";

export const TABS = [
  { key: "knowledge_gaps", label: "Knowledge gaps" },
  { key: "intents", label: "Intents" },
  { key: "handoffs", label: "Hand-offs" },
  { key: "outcomes", label: "Outcomes" },
  { key: "cost", label: "Cost" },
];

/** Render one report section generically: scalars as KPIs, series as charts, lists as tables. */
export function renderSection(data) {
  if (Array.isArray(data)) return [chartFor(data), tableFor(data)];
  if (!data || typeof data !== "object") return [h("p", { class: "empty", text: t("Nothing here yet.") })];
  const scalars = {};
  const breakdowns = [];  // small bar charts sit side by side
  const parts = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === null || typeof value !== "object") scalars[key] = value;
    else if (Array.isArray(value)) {
      const title = key === "rows" ? t("Details") : labelOf(key);
      if (!value.length) parts.push(card(title, h("p", { class: "empty", text: t("Nothing here yet.") })));
      else if (isSeries(value)) parts.push(card(title, activityChart(value)));
      else parts.push(card(title, chartFor(value), tableFor(value)));
    } else if (Object.values(value).every((v) => typeof v === "number")) {
      breakdowns.push(card(labelOf(key), barChart(pairs(value), { format: (v) => fmtNumber(v, 4) })));
    } else {
      parts.push(card(labelOf(key), ...renderSection(value)));
    }
  }
  return [Object.keys(scalars).length ? kpiTiles(scalars) : null,
    breakdowns.length ? h("div", { class: "grid" }, breakdowns) : null, ...parts];
}

function isSeries(rows) {
  return rows.length > 1 && typeof rows[0] === "object" && rows[0] !== null && ("date" in rows[0] || "day" in rows[0]);
}

function chartFor(rows) {
  const items = pairs(rows).filter((p) => p.label !== "—");
  return items.length > 1 && items.some((p) => p.value > 0) ? barChart(items.slice(0, 15)) : null;
}

function tableFor(rows) {
  if (!rows.length || typeof rows[0] !== "object") return h("p", { class: "empty", text: t("Nothing here yet.") });
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].slice(0, 8);
  return table(rows, keys.map((key) => ({ label: labelOf(key), render: (r) => {
    const v = r[key];
    if (v === null || v === undefined) return "—";
    if (typeof v === "object") return JSON.stringify(v);
    return typeof v === "number" ? fmtNumber(v, 4) : String(v);
  } })));
}

export async function render(root) {
  let active = (location.hash.split("?")[1] || "").match(/tab=(\w+)/)?.[1] || "knowledge_gaps";
  const picker = rangePicker(() => load());
  const channel = h("select", { id: "filter-channel", "aria-label": t("Channel") },
    ["", "web", "telegram", "api"].map((c) => h("option", { value: c, text: c || `${t("Channel")}: ${t("All")}` })));
  const agent = h("input", { id: "filter-agent", placeholder: t("Agent"), size: 12 });
  const category = h("input", { id: "filter-category", placeholder: t("Issue category"), size: 14 });
  const lang = h("select", { id: "filter-lang", "aria-label": t("Language") },
    ["", "ar", "ku", "en"].map((l) => h("option", { value: l, text: l ? l.toUpperCase() : `${t("Language")}: ${t("All")}` })));
  const tabs = h("div", { class: "tabs", role: "tablist" });
  const body = h("div", { id: "report-body" });
  let cache = null;  // one request serves all five tabs for the same filters
  const exportBtn = h("button", { type: "button", class: "secondary", id: "export-csv", text: t("Export CSV"), onclick: exportCsv });

  mount(root,
    h("div", { class: "page-header" }, h("h1", { text: t("Reports") }), h("span", { class: "spacer" }), exportBtn),
    h("div", { class: "filters" }, picker.element, channel, agent, category, lang,
      h("button", { type: "button", class: "primary", id: "apply-filters", text: t("Apply"), onclick: () => { cache = null; load(); } })),
    tabs, body);

  function filters() {
    return { ...picker.value(), channel: channel.value, agent: agent.value.trim(), issue_category: category.value.trim(), lang: lang.value };
  }

  function renderTabs() {
    mount(tabs, TABS.map((tab) => h("button", { type: "button", role: "tab", class: tab.key === active ? "active" : "",
      "aria-selected": tab.key === active ? "true" : "false", "data-tab": tab.key, text: t(tab.label),
      onclick: () => { active = tab.key; renderTabs(); load(); } })));
  }

  async function load() {
    mount(body, h("p", { class: "loading", text: t("Loading…") }));
    const query = filters();
    try {
      const key = JSON.stringify(query);
      if (!cache || cache.key !== key) cache = { key, data: await api("GET", `/v1/analytics/reports${qs(query)}`) };
      const data = cache.data;
      const section = data?.[active] ?? data?.tabs?.[active];
      mount(body, h("div", { class: "report-tab", "data-tab": active }, renderSection(section)));
    } catch (err) {
      cache = null;
      mount(body, failure(err));
    }
  }

  async function exportCsv() {
    try {
      await download(`/v1/analytics/reports/${active}.csv${qs(filters())}`, `nura-${active}.csv`);
    } catch (err) {
      toast(err.unavailable ? t("Not available yet") : err.message, "error");
    }
  }

  renderTabs();
  await load();
}
