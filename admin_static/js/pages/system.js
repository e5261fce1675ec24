// System (admin): component health, scheduled backups (with an alert when the last one failed or
// one is overdue), job queue depth and failed jobs with retry, and the recent security and audit logs.
import { api } from "../api.js";
import { fmtBytes, fmtNumber, fmtTime, h, mount, table, toast } from "../dom.js";
import { label, t, tf } from "../i18n.js";
import { card, fill, foreign, rowsOf } from "../ui.js";

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
  const backups = h("div", { id: "backups" });
  const backupAlert = h("div", { id: "backup-alert" });
  const jobs = h("div", { id: "jobs" });
  const security = h("div", { id: "security-log" });
  const audit = h("div", { id: "audit-log" });
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t("System") }), h("span", { class: "spacer" }),
    h("button", { type: "button", class: "secondary", id: "system-refresh", text: t("Refresh"), onclick: () => loadAll() })),
    backupAlert,
    h("div", { class: "grid" }, card(t("Health"), health), card(t("Jobs"), jobs)),
    card(t("Backups"), backups),
    card(t("Security log"), security), card(t("Audit log"), audit));

  const loadHealth = () => fill(health, async () => {
    const body = await api("GET", "/v1/health");
    const rows = Object.entries(body.components || {}).map(([name, c]) => ({ name, ...c }));
    return [h("p", {}, h("span", { class: `pill ${body.status === "ok" ? "ok" : "warn"}`, id: "health-status", "data-status": body.status,
      text: body.status === "ok" ? t("All working") : t("Something needs attention") }),
      " ", h("span", { dir: "ltr", text: `v${body.version || ""}` })),
      table(rows, [
        { label: t("Component"), render: (r) => h("span", { "data-component": r.name, text: label(r.name, "health_component") }) },
        { label: t("Status"), render: (r) => h("span", { class: `pill ${r.ok ? "ok" : "bad"}`, text: r.ok ? t("Working") : t("Failing") }) },
        { label: t("Details"), render: (r) => foreign(Object.entries(r).filter(([k]) => !["name", "ok"].includes(k)).map(([k, v]) => `${k}: ${detailText(v)}`).join(" · ") || "—") },
      ])];
  });

  const loadJobs = () => fill(jobs, async () => {
    const body = await api("GET", "/v1/jobs/failed");
    const failed = rowsOf(body, "jobs", "failed");
    const counts = await jobCounts();
    const depth = counts ? counts.filter((c) => c.state === "pending").reduce((sum, c) => sum + c.n, 0) : null;
    return [depth !== null ? h("p", {}, `${t("Waiting jobs")}: `, h("b", { id: "queue-depth", text: String(depth) }),
      ` · ${t("Failed jobs")}: `, h("b", { id: "failed-count", text: String(body.total ?? failed.length) })) : null,
      counts && counts.length ? table(counts, [
        { label: t("Kind"), render: (c) => h("span", { "data-kind": c.kind, text: label(c.kind, "job_kind") }) },
        { label: t("Status"), render: (c) => label(c.state, "job_status") }, { label: t("Count"), render: (c) => fmtNumber(c.n) },
      ], { caption: t("Jobs") }) : null,
      h("h3", { text: t("Failed jobs") }),
      table(failed, [
        { label: t("Kind"), render: (j) => label(j.kind, "job_kind") },
        { label: t("Attempts"), render: (j) => fmtNumber(j.attempts) },
        { label: t("Error"), render: (j) => foreign(j.last_error || j.error || "—") },
        { label: t("Time"), render: (j) => fmtTime(j.updated_at || j.failed_at || j.created_at) },
        { label: t("Actions"), render: (j) => h("button", { type: "button", class: "link", text: t("Retry"),
          "aria-label": `${t("Retry")} #${j.id}`, onclick: async () => {
            try { await api("POST", `/v1/jobs/${encodeURIComponent(j.id)}/retry`, {}); toast(t("Saved.")); await loadJobs(); jobs.querySelector("h3")?.focus(); } catch (err) { toast(err.message, "error"); }
          } }) },
      ], { empty: t("Nothing here yet.") })];
  });

  // A failed or overdue backup is the first thing on the page, announced once when it appears.
  function showBackupAlert(alert) {
    if (!alert) { backupAlert.replaceChildren(); return; }
    const text = alert.kind === "failed"
      ? tf("The last backup failed ({time}). Nothing was deleted; the archives kept before it are still there.", { time: fmtTime(alert.at) })
      : tf("No backup was made for the run planned at {time}. Is the job queue running?", { time: fmtTime(alert.at) });
    mount(backupAlert, h("div", { class: "callout bad", role: "alert", id: "backup-alert-text", "data-kind": alert.kind },
      h("strong", { text: t("Backups need attention") }), " ", text,
      alert.error ? h("p", {}, h("bdi", { dir: "ltr", class: "mono", text: alert.error })) : null));
  }

  let backupPoll = null;
  const loadBackups = () => fill(backups, async () => {
    const body = await api("GET", "/v1/backups");
    showBackupAlert(body.alert);
    const schedule = body.schedule || {};
    const last = body.last;
    const running = body.running;
    // While a backup is queued or running, look again every few seconds (only while the page is shown).
    clearTimeout(backupPoll);
    if (running) backupPoll = setTimeout(() => { if (backups.isConnected) loadBackups(); }, 2000);
    const statusPill = (run) => h("span", { class: `pill ${run.status === "ok" ? "ok" : run.status === "failed" ? "bad" : "warn"}`,
      "data-status": run.status, text: label(run.status, "backup_status") });
    const now = h("button", { type: "button", class: "primary", id: "backup-now", text: t("Back up now"), disabled: !!running,
      onclick: async () => {
        now.disabled = true;
        try {
          await api("POST", "/v1/backups", {});
          toast(t("Backup started."));
          await loadBackups();
        } catch (err) { toast(err.message, "error"); now.disabled = false; }
      } });
    return [
      h("dl", { class: "facts-list", id: "backup-facts" },
        h("dt", { text: t("Schedule") }),
        h("dd", { id: "backup-schedule" }, schedule.enabled
          ? h("bdi", { dir: "ltr", text: `${schedule.text} (${schedule.timezone})` })
          : t("Off — set BACKUP_SCHEDULE to back up every day")),
        schedule.enabled && !schedule.jobs_enabled ? h("dt", { text: t("Warning") }) : null,
        schedule.enabled && !schedule.jobs_enabled ? h("dd", { text: t("Background jobs are off: scheduled backups do not run.") }) : null,
        h("dt", { text: t("Next backup") }), h("dd", { id: "backup-next", text: schedule.next_run_at ? fmtTime(schedule.next_run_at) : "—" }),
        h("dt", { text: t("Last backup") }),
        h("dd", { id: "backup-last" }, last ? [statusPill(last), " ", fmtTime(last.finished_at),
          last.status === "ok" ? [" · ", h("bdi", { dir: "ltr", text: fmtBytes(last.bytes) })] : ""] : t("None yet")),
        h("dt", { text: t("Archives kept") }),
        h("dd", { id: "backup-kept" }, `${tf("{count} of at most {keep}", { count: fmtNumber((body.archives || []).length), keep: fmtNumber(body.keep) })} · `,
          h("bdi", { dir: "ltr", class: "mono", text: body.folder || "" }))),
      h("p", {}, now, " ", running ? h("span", { role: "status", id: "backup-running", text: t("A backup is running…") }) : null),
      table(body.runs || [], [
        { label: t("Time"), render: (r) => fmtTime(r.finished_at || r.started_at || r.queued_at) },
        { label: t("Started by"), render: (r) => (r.origin === "manual"
          ? h("bdi", { dir: "ltr", text: r.requested_by || "—" }) : label(r.origin, "backup_origin")) },
        { label: t("Status"), render: statusPill },
        { label: t("Size"), render: (r) => (r.bytes ? h("bdi", { dir: "ltr", text: fmtBytes(r.bytes) }) : "—") },
        { label: t("Details"), render: (r) => (r.error ? foreign(r.error) : r.archive ? h("bdi", { dir: "ltr", class: "mono", text: r.archive }) : "—") },
      ], { caption: t("Recent backups"), empty: t("Nothing here yet.") }),
    ];
  });

  const logTable = (rows, group) => table(rows, [
    { label: t("Time"), render: (r) => fmtTime(r.created_at || r.at) },
    { label: t("Actor"), render: (r) => h("bdi", { dir: "ltr", text: r.actor || r.username || r.ip || "—" }) },
    { label: t("Action"), render: (r) => h("span", { "data-action": r.action || r.event || "", text: label(r.action || r.event, group) }) },
    { label: t("Target"), render: (r) => h("bdi", { dir: "auto", text: r.target || r.path || "—" }) },
    { label: t("Details"), render: (r) => (r.detail ? foreign(detailText(r.detail)) : "—") },
  ], { empty: t("Nothing here yet.") });

  function loadAll() {
    loadHealth();
    loadBackups();
    loadJobs();
    fill(security, async () => logTable(rowsOf(await api("GET", "/v1/security-log?limit=50"), "entries"), "security_event"));
    fill(audit, async () => logTable(rowsOf(await api("GET", "/v1/audit-log?limit=50"), "entries"), "audit_action"));
  }
  loadAll();
  return () => clearTimeout(backupPoll);
}
