// System (admin): component health, job queue depth and failed jobs with retry, and the
// recent security and audit logs.
import { api } from "../api.js";
import { fmtTime, h, mount, table, toast } from "../dom.js";
import { t } from "../i18n.js";
import { card, fill, labelOf, rowsOf } from "../ui.js";

function detailText(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// Outbox counts by kind and state come from the Prometheus metrics (there is no JSON endpoint
// for them); null when metrics are not installed.
async function jobCounts() {
  let text;
  try { text = await api("GET", "/v1/metrics"); } catch { return null; }
  if (typeof text !== "string") return null;
  const counts = [];
  for (const line of text.split("\n")) {
    const match = /^nura_jobs\{([^}]*)\}\s+([0-9.eE+-]+)$/.exec(line.trim());
    if (!match) continue;
    const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    counts.push({ kind: labels.kind, state: labels.state, n: Number(match[2]) });
  }
  return counts;
}

export async function render(root) {
  const health = h("div", { id: "health" });
  const jobs = h("div", { id: "jobs" });
  const security = h("div", { id: "security-log" });
  const audit = h("div", { id: "audit-log" });
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t("System") }), h("span", { class: "spacer" }),
    h("button", { type: "button", class: "secondary", text: t("Refresh"), onclick: () => loadAll() })),
    h("div", { class: "grid" }, card(t("Health"), health), card(t("Jobs"), jobs)),
    card(t("Security log"), security), card(t("Audit log"), audit));

  const loadHealth = () => fill(health, async () => {
    const body = await api("GET", "/v1/health");
    const rows = Object.entries(body.components || {}).map(([name, c]) => ({ name, ...c }));
    return [h("p", {}, h("span", { class: `pill ${body.status === "ok" ? "ok" : "warn"}`, id: "health-status", text: body.status }),
      ` v${body.version || ""}`),
      table(rows, [
        { label: t("Name"), render: (r) => labelOf(r.name) },
        { label: t("Status"), render: (r) => h("span", { class: `pill ${r.ok ? "ok" : "bad"}`, text: r.ok ? "ok" : "fail" }) },
        { label: "", render: (r) => Object.entries(r).filter(([k]) => !["name", "ok"].includes(k)).map(([k, v]) => `${k}: ${detailText(v)}`).join(" · ") },
      ])];
  });

  const loadJobs = () => fill(jobs, async () => {
    const body = await api("GET", "/v1/jobs/failed");
    const failed = rowsOf(body, "jobs", "failed");
    const counts = await jobCounts();
    const depth = counts ? counts.filter((c) => c.state === "pending").reduce((sum, c) => sum + c.n, 0) : null;
    return [depth !== null ? h("p", {}, `${t("Queue depth")}: `, h("b", { id: "queue-depth", text: String(depth) }),
      ` · ${t("Failed jobs")}: `, h("b", { id: "failed-count", text: String(body.total ?? failed.length) })) : null,
      counts && counts.length ? table(counts, [
        { label: t("Kind"), render: (c) => c.kind }, { label: t("Status"), render: (c) => c.state }, { label: t("Count"), render: (c) => c.n },
      ]) : null,
      h("h3", { text: t("Failed jobs") }),
      table(failed, [
        { label: t("Kind"), render: (j) => j.kind },
        { label: t("Attempts"), render: (j) => j.attempts },
        { label: t("Error"), render: (j) => h("span", { class: "clip", title: j.last_error || j.error || "", text: j.last_error || j.error || "" }) },
        { label: t("Time"), render: (j) => fmtTime(j.updated_at || j.failed_at || j.created_at) },
        { label: "", render: (j) => h("button", { type: "button", class: "link", text: t("Retry"), onclick: async () => {
          try { await api("POST", `/v1/jobs/${encodeURIComponent(j.id)}/retry`, {}); toast(t("Saved.")); loadJobs(); } catch (err) { toast(err.message, "error"); }
        } }) },
      ], { empty: t("Nothing here yet.") })];
  });

  const logTable = (rows) => table(rows, [
    { label: t("Time"), render: (r) => fmtTime(r.created_at || r.at) },
    { label: t("Actor"), render: (r) => r.actor || r.username || r.ip },
    { label: t("Action"), render: (r) => r.action || r.event },
    { label: t("Target"), render: (r) => r.target || r.path },
    { label: "", render: (r) => detailText(r.detail) },
  ], { empty: t("Nothing here yet.") });

  function loadAll() {
    loadHealth();
    loadJobs();
    fill(security, async () => logTable(rowsOf(await api("GET", "/v1/security-log?limit=50"), "entries")));
    fill(audit, async () => logTable(rowsOf(await api("GET", "/v1/audit-log?limit=50"), "entries")));
  }
  loadAll();
}
