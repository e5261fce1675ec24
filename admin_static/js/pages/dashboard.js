// Dashboard: KPIs, activity over time, source breakdown, latest conversations and the top
// knowledge gaps for a chosen date range (GET /v1/analytics/dashboard). Every code the server
// sends (sources, gap reasons) is shown by its translated name.
import { api, qs } from "../api.js";
import { fmtDuration, fmtNumber, fmtPercent, fmtTime, h, mount, table } from "../dom.js";
import { currentLang, hasLabel, label, t } from "../i18n.js";
import { barChart, timeChart } from "../charts.js";
import { card, failure, labelOf, rangePicker } from "../ui.js";

// Known figures and how to show them; unknown numeric keys are shown too, as plain numbers.
export const KPI_FORMATS = {
  conversations: ["Conversations", fmtNumber], total_conversations: ["Conversations", fmtNumber],
  sessions: ["Conversations", fmtNumber], messages: ["Messages", fmtNumber], total: ["Total", fmtNumber],
  deflection_rate: ["Deflection rate", fmtPercent], handoff_rate: ["Hand-off rate", fmtPercent],
  resolution_rate: ["Resolution rate", fmtPercent], satisfaction: ["Satisfaction", (v) => fmtNumber(v, 2)],
  avg_rating: ["Satisfaction", (v) => fmtNumber(v, 2)], csat: ["Satisfaction", fmtPercent],
  median_time_to_accept_s: ["Median time to accept", fmtDuration], median_accept_seconds: ["Median time to accept", fmtDuration],
  median_time_to_resolve_s: ["Median time to resolve", fmtDuration], median_resolve_seconds: ["Median time to resolve", fmtDuration],
  avg_time_to_accept_s: ["Average time to accept", fmtDuration], avg_time_to_resolve_s: ["Average time to resolve", fmtDuration],
  ai_cost: ["AI cost", (v) => `$${fmtNumber(v, 4)}`], ai_cost_usd: ["AI cost", (v) => `$${fmtNumber(v, 4)}`],
  cost_usd: ["AI cost", (v) => `$${fmtNumber(v, 4)}`], avg_cost_per_call_usd: ["Average cost per call", (v) => `$${fmtNumber(v, 6)}`],
  groups: ["Question groups", fmtNumber], classified: ["Classified messages", fmtNumber],
  flagged_gaps: ["Flagged as gaps", fmtNumber], handed_off_sessions: ["Handed-off conversations", fmtNumber],
  engaged_sessions: ["Conversations with a question", fmtNumber], outcomes: ["Outcomes recorded", fmtNumber],
  resolved: ["Resolved", fmtNumber], calls: ["AI calls", fmtNumber], prompt_tokens: ["Prompt tokens", fmtNumber],
  completion_tokens: ["Answer tokens", fmtNumber], total_tokens: ["Total tokens", fmtNumber], errors: ["Errors", fmtNumber],
};

/** Turn {key: n} or [{name/source/label/..., count/value/n}] into [{label, value}]; `group` translates codes. */
export function pairs(data, group) {
  const name = (code) => (group && hasLabel(code, group) ? label(code, group) : code === "" ? "—" : String(code));
  if (!data) return [];
  if (Array.isArray(data)) {
    return data.map((row) => {
      if (typeof row !== "object" || row === null) return { label: String(row), value: 0 };
      const key = row.label ?? row.name ?? row.source ?? row.tier ?? row.intent ?? row.reason ?? row.key ?? row.status
        ?? row.category ?? row.issue_category ?? row.channel ?? row.agent ?? row.model ?? row.lang ?? "—";
      const value = row.count ?? row.value ?? row.n ?? row.total ?? row.conversations ?? row.cost_usd ?? 0;
      return { label: name(key), value: Number(value) || 0 };
    });
  }
  if (typeof data === "object") return Object.entries(data).map(([key, value]) => ({ label: name(key), value: Number(value) || 0 }));
  return [];
}

/** Find the first present key of an object. */
export function pick(obj, ...keys) {
  for (const key of keys) if (obj && obj[key] !== undefined && obj[key] !== null) return obj[key];
  return undefined;
}

export function kpiTiles(kpis) {
  const tiles = [];
  const shown = new Set();
  for (const [key, value] of Object.entries(kpis || {})) {
    if (value !== null && typeof value === "object") continue;
    const known = KPI_FORMATS[key];
    const name = known ? t(known[0]) : labelOf(key);
    if (shown.has(name)) continue;
    shown.add(name);
    const text = value === null || value === undefined ? "—"
      : known ? known[1](value) : key.endsWith("_rate") ? fmtPercent(value) : key.endsWith("_s") ? fmtDuration(value)
        : typeof value === "number" ? fmtNumber(value, 4) : String(value);
    tiles.push(h("div", { class: "kpi", "data-kpi": key }, h("dt", { class: "kpi-label", text: name }),
      h("dd", { class: "kpi-value", text })));
  }
  return h("dl", { class: "kpis", id: "kpis" }, tiles);
}

const SERIES_LABELS = { messages: "Messages", sessions: "Conversations", conversations: "Conversations",
  escalated: "Escalated messages", handoffs: "Hand-offs", total: "Total" };

/** Activity rows [{day, messages, sessions, ...}] into a stacked column chart. */
export function activityChart(rows, title = t("Activity")) {
  if (!Array.isArray(rows) || !rows.length) return h("p", { class: "empty", text: t("Nothing here yet.") });
  const xKey = ["date", "day", "bucket", "period"].find((k) => k in rows[0]) || Object.keys(rows[0])[0];
  const numeric = Object.keys(rows[0]).filter((k) => k !== xKey && typeof rows[0][k] === "number");
  // Prefer not to stack a total on top of its parts.
  const parts = numeric.length > 1 ? numeric.filter((k) => !["total", "conversations", "sessions"].includes(k)) : numeric;
  const series = (parts.length ? parts : numeric).map((key) => ({ key, label: SERIES_LABELS[key] ? t(SERIES_LABELS[key]) : labelOf(key) }));
  return timeChart(rows.map((r) => ({ ...r, x: r[xKey] })), series, { title });
}

/** The headline figures, read from the dashboard answer's sections. */
export function headline(data) {
  const totals = data.totals || {};
  const deflection = data.deflection || {};
  const resolution = data.resolution || {};
  const satisfaction = data.satisfaction || {};
  const cost = data.ai_cost || {};
  const tiles = [
    ["conversations", "Conversations", totals.sessions, fmtNumber],
    ["messages", "Messages", totals.messages, fmtNumber],
    ["deflection_rate", "Deflection rate", deflection.deflection_rate, fmtPercent],
    ["handoff_rate", "Hand-off rate", deflection.handoff_rate, fmtPercent],
    ["resolution_rate", "Resolution rate", resolution.resolution_rate, fmtPercent],
    ["satisfaction", "Satisfaction", satisfaction.average_rating, (v) => (v === null || v === undefined ? "—" : `${fmtNumber(v, 2)} / 5`)],
    ["time_to_accept", "Median time to accept", resolution.median_time_to_accept_s, fmtDuration],
    ["time_to_resolve", "Median time to resolve", resolution.median_time_to_resolve_s, fmtDuration],
    ["answer_rate", "Answer rate", totals.answer_rate, fmtPercent],
    ["ai_cost", "AI cost", cost.cost_usd, (v) => `$${fmtNumber(v || 0, 4)}`],
  ];
  return h("dl", { class: "kpis", id: "kpis" }, tiles.map(([key, name, value, format]) =>
    h("div", { class: "kpi", "data-kpi": key }, h("dt", { class: "kpi-label", text: t(name) }),
      h("dd", { class: "kpi-value", text: format(value) }))));
}

/** The comma of the interface language (Arabic script uses "،"). */
export function listSeparator() { return ["ar", "ckb"].includes(currentLang()) ? "، " : ", "; }

/** A list of gap reasons, translated. */
export function reasonsText(reasons) {
  const list = Array.isArray(reasons) ? reasons : String(reasons || "").split(",").filter(Boolean);
  return list.map((r) => label(r.trim(), "gap_reason")).join(listSeparator());
}

export async function render(root) {
  const body = h("div", { id: "dashboard-body" });
  const picker = rangePicker((range) => load(range));
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t("Dashboard") }), h("span", { class: "spacer" }), picker.element), body);

  async function load(range) {
    body.setAttribute("aria-busy", "true");
    mount(body, h("p", { class: "loading", text: t("Loading…") }));
    let data;
    try {
      data = await api("GET", `/v1/analytics/dashboard${qs(range)}`);
    } catch (err) {
      mount(body, failure(err));
      return;
    } finally {
      body.removeAttribute("aria-busy");
    }
    // Ratings are a separate endpoint; the dashboard works without them.
    const ratingsBox = h("div", { id: "ratings" });
    api("GET", `/v1/analytics/ratings${qs(range)}`).then((r) => {
      const items = Object.entries(r.distribution || {}).map(([score, n]) => ({ label: `${"★".repeat(Number(score))} (${score})`, value: n }));
      mount(ratingsBox, h("h3", { text: `${t("Rating")} (${fmtNumber(r.rated_sessions || 0)})` }),
        items.some((i) => i.value > 0) ? barChart(items, { title: t("Rating") }) : h("p", { class: "empty", text: t("Nothing here yet.") }));
    }).catch(() => mount(ratingsBox));
    const latest = Array.isArray(data.latest_conversations) ? data.latest_conversations : [];
    const gaps = data.knowledge_gaps && Array.isArray(data.knowledge_gaps.top) ? data.knowledge_gaps.top : [];
    mount(body,
      data.totals ? headline(data) : kpiTiles(data),
      h("div", { class: "grid" },
        card(t("Activity"), h("div", { id: "activity-chart" }, activityChart(data.activity))),
        card(t("Answers by source"), h("div", { id: "source-chart" }, barChart(pairs(data.sources, "source"), { title: t("Answers by source") })),
          ratingsBox)),
      h("div", { class: "grid" },
        card(t("Latest conversations"), h("div", { id: "latest-conversations" }, table(latest, [
          { label: t("Time"), render: (r) => h("span", { class: "nowrap", text: fmtTime(r.created_at) }) },
          { label: t("Question"), render: (r) => h("span", { dir: "auto", class: "clip", text: r.customer_message || "" }) },
          { label: t("Answer"), render: (r) => h("span", { dir: "auto", class: "clip", text: r.response || "" }) },
          { label: t("Source"), render: (r) => h("span", { "data-source": r.source || "", text: label(r.source, "source") }) },
          { label: t("Confidence"), render: (r) => r.confidence === null || r.confidence === undefined ? "—" : fmtNumber(r.confidence, 2) },
        ], { empty: t("Nothing here yet."), rowHref: (r) => `#/sessions?id=${encodeURIComponent(r.session_id)}`,
          rowLabel: (r) => `${t("Open the conversation")} · ${fmtTime(r.created_at)}` }))),
        card(t("Top knowledge gaps"), h("div", { id: "top-gaps" }, table(gaps, [
          { label: t("Question"), render: (r) => h("span", { dir: "auto", text: r.question || "" }) },
          { label: t("Reason"), render: (r) => reasonsText(r.reasons) },
          { label: t("Count"), render: (r) => fmtNumber(r.count) },
        ], { empty: t("Nothing here yet.") })))));
  }

  await load(picker.value());
}
