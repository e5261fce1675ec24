// Sessions: search by text, customer, status and date; transcript with the source and
// confidence of every bot answer; transcript export (JSON or plain text, built in the browser).
import { api, qs } from "../api.js";
import { fmtNumber, fmtTime, h, mount, table, toast } from "../dom.js";
import { label, t } from "../i18n.js";
import { messageBubble, roleLabel } from "../messages.js";
import { card, failure } from "../ui.js";

const STATUSES = ["", "bot", "pending_handoff", "human_active", "resolved", "closed"];
const PAGE = 25;

function saveBlob(text, filename, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function transcriptText(detail) {
  const s = detail.session || {};
  const lines = [`Session ${s.session_id || s.id}`, `Customer ${s.customer_id || "-"} · ${s.channel || ""} · ${s.lang || ""} · ${s.status || ""}`, ""];
  for (const m of detail.messages || []) {
    const extra = m.role === "bot" ? ` [${m.source || "-"}${m.confidence !== null && m.confidence !== undefined ? ` ${fmtNumber(m.confidence, 2)}` : ""}]` : "";
    lines.push(`${fmtTime(m.created_at)} ${roleLabel(m)}${extra}: ${m.text}`);
  }
  if (detail.outcome) lines.push("", `Outcome: ${JSON.stringify(detail.outcome)}`);
  return lines.join("\n");
}

export async function render(root) {
  const q = h("input", { type: "search", id: "session-q", placeholder: t("Text") });
  const customer = h("input", { id: "session-customer", placeholder: t("Customer id"), size: 14 });
  const status = h("select", { id: "session-status", "aria-label": t("Status") },
    STATUSES.map((s) => h("option", { value: s, text: s ? label(s) : `${t("Status")}: ${t("All")}` })));
  const since = h("input", { type: "date", id: "session-since", "aria-label": t("From") });
  const until = h("input", { type: "date", id: "session-until", "aria-label": t("To") });
  const results = h("div", { id: "session-results" });
  const detailBox = h("div", { id: "session-detail" });
  let offset = 0;

  const form = h("form", { class: "filters", id: "session-search" }, q, customer, status, since, until,
    h("button", { type: "submit", class: "primary", text: t("Search") }));
  form.addEventListener("submit", (e) => { e.preventDefault(); offset = 0; search(); });
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t("Sessions") })), form,
    h("div", { class: "grid" }, card(null, results), detailBox));

  async function search() {
    mount(results, h("p", { class: "loading", text: t("Loading…") }));
    try {
      const toEpoch = (value, end) => value ? Math.floor(new Date(`${value}T${end ? "23:59:59" : "00:00:00"}`).getTime() / 1000) : "";
      const body = await api("GET", `/v1/sessions/list${qs({ q: q.value.trim(), customer_id: customer.value.trim(), status: status.value,
        since: toEpoch(since.value, false), until: toEpoch(until.value, true), limit: PAGE, offset })}`);
      const rows = body.sessions || [];
      const total = body.total ?? rows.length;
      mount(results,
        h("p", { class: "hint", id: "session-total", text: `${fmtNumber(total)} ${t("Sessions")}` }),
        table(rows, [
          { label: t("Started"), render: (r) => fmtTime(r.created_at) },
          { label: t("Customer"), render: (r) => r.customer_id },
          { label: t("Channel"), render: (r) => r.channel },
          { label: t("Language"), render: (r) => r.lang },
          { label: t("Status"), render: (r) => label(r.status) },
          { label: t("Messages"), render: (r) => r.message_count },
        ], { empty: t("Nothing here yet."), onRowClick: (r) => open(r.session_id || r.id) }),
        h("div", { class: "row" },
          h("button", { type: "button", class: "secondary", disabled: offset === 0, text: "‹", "aria-label": "previous",
            onclick: () => { offset = Math.max(0, offset - PAGE); search(); } }),
          h("span", { class: "hint", text: `${offset + 1}–${offset + rows.length}` }),
          h("button", { type: "button", class: "secondary", disabled: offset + rows.length >= total, text: "›", "aria-label": "next",
            onclick: () => { offset += PAGE; search(); } })));
    } catch (err) {
      mount(results, failure(err));
    }
  }

  async function open(sid) {
    mount(detailBox, card(t("Transcript"), h("p", { class: "loading", text: t("Loading…") })));
    try {
      const detail = await api("GET", `/v1/sessions/${encodeURIComponent(sid)}`);
      const s = detail.session || {};
      mount(detailBox, card(t("Transcript"),
        h("div", { class: "row" },
          h("span", { class: "grow hint", text: `${s.customer_id || "—"} · ${s.channel || ""} · ${(s.lang || "").toUpperCase()} · ${label(s.status)}${s.handoff_reason ? ` · ${label(s.handoff_reason)}` : ""}` }),
          h("button", { type: "button", class: "secondary", id: "export-json", text: `${t("Export")} JSON`,
            onclick: () => saveBlob(JSON.stringify(detail, null, 2), `session-${sid}.json`, "application/json") }),
          h("button", { type: "button", class: "secondary", id: "export-text", text: `${t("Export")} TXT`,
            onclick: () => saveBlob(transcriptText(detail), `session-${sid}.txt`, "text/plain;charset=utf-8") })),
        h("div", { class: "messages transcript", id: "transcript" }, (detail.messages || []).map((m) => messageBubble(m, { details: true }))),
        detail.outcome ? h("p", { class: "hint", id: "transcript-outcome",
          text: `${t("Outcome")}: ${detail.outcome.status || ""} · ${detail.outcome.issue_category || ""} · ${detail.outcome.root_cause || ""}` }) : null));
    } catch (err) {
      mount(detailBox, card(t("Transcript"), failure(err)));
      if (err.status === 403) toast(err.message, "warn");
    }
  }

  await search();
  const wanted = (location.hash.split("?")[1] || "").match(/id=([^&]+)/)?.[1];
  if (wanted) open(decodeURIComponent(wanted));
}
