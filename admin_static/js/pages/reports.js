// Reports: five tabs over GET /v1/analytics/reports with filters, charts and CSV export
// (downloaded with the token via fetch + blob, so no token ever sits in a link). Each tab knows
// which field of its rows names a category, so charts are labelled with translated categories
// (the details chart once showed 13 bars all labelled "open": the gap groups' status).
import { api, download, qs } from "../api.js";
import { fmtNumber, fmtPercent, h, mount, table, toast } from "../dom.js";
import { hasLabel, label, langName, t } from "../i18n.js";
import { barChart } from "../charts.js";
import { activityChart, kpiTiles, pairs, reasonsText } from "./dashboard.js";
import { card, failure, labelOf, rangePicker, tabs } from "../ui.js";

export const TABS = [
  { key: "knowledge_gaps", label: "Knowledge gaps" },
  { key: "intents", label: "Intents" },
  { key: "handoffs", label: "Hand-offs" },
  { key: "outcomes", label: "Outcomes" },
  { key: "cost", label: "Cost" },
];

const code = (group) => (value) => (hasLabel(value, group) ? label(value, group) : value === "" || value === null || value === undefined ? "—" : String(value));
const share = (value) => fmtPercent(value);

// Per tab: the breakdown objects (and the code group of their keys), the detail rows' columns
// ([key, heading, format]) and which row field labels the details chart.
const TAB_VIEWS = {
  knowledge_gaps: {
    breakdowns: { by_reason: ["Gaps by reason", "gap_reason"] },
    chart: { label: "question", lang: "lang", title: "Most asked unanswered questions" },
    columns: [["question", "Question", null], ["lang", "Language", langName], ["count", "Count", fmtNumber],
      ["reasons", "Reason", reasonsText], ["status", "Status", code("review_status")]],
  },
  intents: {
    breakdowns: { sentiments: ["Sentiment", "sentiment"], confidence_buckets: ["Confidence", "confidence_bucket"] },
    chart: { label: "intent", group: "intent", title: "Questions by intent" },
    columns: [["intent", "Intent", code("intent")], ["count", "Count", fmtNumber], ["share", "Share", share]],
  },
  handoffs: {
    breakdowns: { resolved_by_reason: ["Resolved hand-offs by reason", "handoff_reason"] },
    chart: { label: "reason", group: "handoff_reason", title: "Hand-offs by reason" },
    columns: [["reason", "Hand-off reason", code("handoff_reason")], ["count", "Count", fmtNumber], ["share", "Share", share]],
  },
  outcomes: {
    breakdowns: { by_status: ["Outcomes by status", "outcome_status"], by_category: ["By issue category", "issue_category"],
      by_agent: ["By agent", null], by_root_cause: ["By root cause", null] },
    chart: null,
    columns: [["status", "Outcome", code("outcome_status")], ["issue_category", "Issue category", code("issue_category")],
      ["resolved_by", "Resolved by", null], ["count", "Count", fmtNumber]],
  },
  cost: {
    breakdowns: { by_purpose: ["AI calls by purpose", null] },
    chart: { label: "model", title: "Cost by model", value: "cost_usd", format: (v) => `$${fmtNumber(v, 4)}` },
    columns: [["provider", "Provider", code("ai_provider")], ["model", "Model", null], ["calls", "AI calls", fmtNumber],
      ["prompt_tokens", "Prompt tokens", fmtNumber], ["completion_tokens", "Answer tokens", fmtNumber],
      ["total_tokens", "Total tokens", fmtNumber], ["cost_usd", "AI cost", (v) => `$${fmtNumber(v, 4)}`], ["errors", "Errors", fmtNumber]],
  },
};

function cell(value, format, key) {
  if (value === null || value === undefined) return "—";
  if (format) return format(value);
  if (key === "question" || key === "resolved_by" || key === "model") return h("bdi", { dir: "auto", text: String(value) });
  if (typeof value === "object") return JSON.stringify(value);
  return typeof value === "number" ? fmtNumber(value, 4) : String(value);
}

/** One tab's section: scalar figures, translated breakdown charts, the details chart and table. */
export function renderTab(tab, data) {
  if (!data || typeof data !== "object") return [h("p", { class: "empty", text: t("Nothing here yet.") })];
  const view = TAB_VIEWS[tab] || { breakdowns: {}, columns: null, chart: null };
  const scalars = {};
  const breakdowns = [];
  const parts = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === null || typeof value !== "object") { scalars[key] = value; continue; }
    if (key === "rows") continue;
    if (Array.isArray(value)) {
      parts.push(card(labelOf(key), value.length ? activityChart(value, labelOf(key)) : h("p", { class: "empty", text: t("Nothing here yet.") })));
      continue;
    }
    const [title, group] = view.breakdowns[key] || [labelOf(key), null];
    breakdowns.push(card(t(title), barChart(pairs(value, group), { title: t(title) })));
  }
  const rows = Array.isArray(data.rows) ? data.rows : [];
  const details = [];
  if (!rows.length) details.push(h("p", { class: "empty", text: t("Nothing here yet.") }));
  else {
    if (view.chart) {
      const spec = view.chart;
      const items = rows.slice(0, 15).map((row) => ({
        label: spec.group ? code(spec.group)(row[spec.label]) : String(row[spec.label] ?? "—"),
        value: Number(row[spec.value || "count"]) || 0,
        lang: spec.lang ? row[spec.lang] : null,
      }));
      if (items.length > 1) details.push(h("h3", { text: t(spec.title) }), barChart(items, { title: t(spec.title), format: spec.format }));
    }
    const columns = view.columns || [...new Set(rows.flatMap((r) => Object.keys(r)))].slice(0, 8).map((k) => [k, null, null]);
    details.push(table(rows, columns.map(([key, heading, format]) => ({
      label: heading ? t(heading) : labelOf(key), render: (r) => cell(r[key], format, key),
    })), { caption: t("Details") }));
  }
  return [Object.keys(scalars).length ? kpiTiles(scalars) : null,
    breakdowns.length ? h("div", { class: "grid" }, breakdowns) : null, ...parts, card(t("Details"), ...details)];
}

export async function render(root) {
  let active = (location.hash.split("?")[1] || "").match(/tab=(\w+)/)?.[1] || "knowledge_gaps";
  if (!TABS.some((tab) => tab.key === active)) active = "knowledge_gaps";
  const picker = rangePicker(() => { cache = null; load(); });
  const channel = h("select", { id: "filter-channel", "aria-label": t("Channel") },
    ["", "web", "telegram", "whatsapp", "api"].map((c) => h("option", { value: c, text: c ? label(c, "channel") : `${t("Channel")}: ${t("All")}` })));
  const agent = h("input", { id: "filter-agent", placeholder: t("Agent"), "aria-label": t("Agent"), size: 12, dir: "ltr" });
  const category = h("input", { id: "filter-category", placeholder: t("Issue category"), "aria-label": t("Issue category"), size: 14 });
  const lang = h("select", { id: "filter-lang", "aria-label": t("Language") },
    ["", "ar", "ckb", "ku", "en"].map((l) => h("option", { value: l, text: l ? langName(l) : `${t("Language")}: ${t("All")}` })));
  let cache = null;  // one request serves all five tabs for the same filters
  const exportBtn = h("button", { type: "button", class: "secondary", id: "export-csv", text: t("Export CSV"), onclick: exportCsv });
  const tabBar = tabs(TABS.map((tab) => ({ key: tab.key, label: t(tab.label) })), {
    active, label: t("Reports"), idPrefix: "report-tab",
    onSelect: (key, _panel, byUser) => { active = key; if (byUser) history.replaceState(null, "", `#/reports?tab=${key}`); load(); },
  });
  const body = h("div", { id: "report-body" });
  tabBar.panel.append(body);

  mount(root,
    h("div", { class: "page-header" }, h("h1", { text: t("Reports") }), h("span", { class: "spacer" }), exportBtn),
    h("div", { class: "filters", role: "group", "aria-label": t("Filters") }, picker.element, channel, agent, category, lang,
      h("button", { type: "button", class: "primary", id: "apply-filters", text: t("Apply"), onclick: () => { cache = null; load(); } })),
    tabBar.element, tabBar.panel);

  function filters() {
    return { ...picker.value(), channel: channel.value, agent: agent.value.trim(), issue_category: category.value.trim(), lang: lang.value };
  }

  async function load() {
    body.setAttribute("aria-busy", "true");
    mount(body, h("p", { class: "loading", text: t("Loading…") }));
    const query = filters();
    try {
      const key = JSON.stringify(query);
      if (!cache || cache.key !== key) cache = { key, data: await api("GET", `/v1/analytics/reports${qs(query)}`) };
      const data = cache.data;
      const section = data?.[active] ?? data?.tabs?.[active];
      mount(body, h("div", { class: "report-tab", "data-tab": active }, renderTab(active, section)));
    } catch (err) {
      cache = null;
      mount(body, failure(err));
    } finally {
      body.removeAttribute("aria-busy");
    }
  }

  async function exportCsv() {
    try {
      await download(`/v1/analytics/reports/${active}.csv${qs(filters())}`, `nura-${active}.csv`);
    } catch (err) {
      toast(err.unavailable ? t("Not available yet") : err.message, "error");
    }
  }

  tabBar.select(active);
}
