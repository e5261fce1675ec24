// Sessions: search by text, customer, status and date; transcript with the source and
// confidence of every bot answer, the customer's identity (verified or not) and attachments;
// export of one transcript or of every conversation the search finds, as CSV, JSON or a
// printable HTML page (GET /v1/sessions/{id}/transcript, GET /v1/sessions/export).
import { api, download, qs } from "../api.js";
import { fmtNumber, fmtTime, focusTarget, h, mount, table, toast } from "../dom.js";
import { currentLang, label, langName, t } from "../i18n.js";
import { customerFacts, customerName, messageBubble } from "../messages.js";
import { card, failure } from "../ui.js";

const STATUSES = ["", "bot", "pending_handoff", "human_active", "resolved", "closed"];
const PAGE = 25;
const FORMATS = [["csv", "CSV"], ["json", "JSON"], ["html", "Printable page"]];

/** Export buttons for one format set; `path(format)` is the API address to download. */
function exportButtons(idPrefix, title, path, filename, { canExport }) {
  if (!canExport) return null;
  const titleId = `${idPrefix}-title`;
  return h("div", { class: "row export-buttons", role: "group", "aria-labelledby": titleId },
    h("span", { class: "export-title", id: titleId, text: title }),
    FORMATS.map(([format, name]) => h("button", { type: "button", class: "secondary", id: `${idPrefix}-${format}`,
      text: t(name), onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try { await download(path(format), `${filename}.${format}`); toast(t("Downloaded.")); }
        catch (err) { toast(err.unavailable ? t("Not available yet") : err.message, "error"); }
        finally { button.disabled = false; button.focus(); }
      } })));
}

export async function render(root, { user }) {
  const canExport = user.role !== "viewer";  // viewers see aggregates, never transcripts
  const q = h("input", { type: "search", id: "session-q", placeholder: t("Text"), "aria-label": t("Text in the conversation") });
  const customer = h("input", { id: "session-customer", placeholder: t("Customer id"), "aria-label": t("Customer id"), size: 14, dir: "ltr" });
  const status = h("select", { id: "session-status", "aria-label": t("Status") },
    STATUSES.map((s) => h("option", { value: s, text: s ? label(s, "session_status") : `${t("Status")}: ${t("All")}` })));
  const since = h("input", { type: "date", id: "session-since", "aria-label": t("From") });
  const until = h("input", { type: "date", id: "session-until", "aria-label": t("To") });
  const results = h("div", { id: "session-results" });
  const detailBox = h("div", { id: "session-detail" });
  let offset = 0;
  let openId = null;

  const toEpoch = (value, end) => value ? Math.floor(new Date(`${value}T${end ? "23:59:59" : "00:00:00"}`).getTime() / 1000) : "";
  const filters = () => ({ q: q.value.trim(), customer_id: customer.value.trim(), status: status.value,
    since: toEpoch(since.value, false), until: toEpoch(until.value, true) });

  const form = h("form", { class: "filters", id: "session-search", role: "search", "aria-label": t("Search conversations") },
    q, customer, status, since, until, h("button", { type: "submit", class: "primary", text: t("Search") }));
  form.addEventListener("submit", (e) => { e.preventDefault(); offset = 0; search(); });
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t("Sessions") }), h("span", { class: "spacer" }),
    exportButtons("export-list", t("Export the conversations found:"), (format) => `/v1/sessions/export${qs({ ...filters(), format, lang: currentLang() })}`,
      "nura-transcripts", { canExport })),
  form, h("div", { class: "grid" }, card(t("Conversations"), results), detailBox));

  async function search() {
    results.setAttribute("aria-busy", "true");
    mount(results, h("p", { class: "loading", text: t("Loading…") }));
    try {
      const body = await api("GET", `/v1/sessions/list${qs({ ...filters(), limit: PAGE, offset })}`);
      const rows = body.sessions || [];
      const total = body.total ?? rows.length;
      const pager = [];
      if (total > PAGE) {
        pager.push(h("nav", { class: "row pager", "aria-label": t("Pages") },
          h("button", { type: "button", class: "secondary", disabled: offset === 0, text: t("Previous"),
            onclick: () => { offset = Math.max(0, offset - PAGE); search(); } }),
          h("span", { class: "hint", text: `${fmtNumber(offset + 1)}–${fmtNumber(offset + rows.length)} / ${fmtNumber(total)}` }),
          h("button", { type: "button", class: "secondary", disabled: offset + rows.length >= total, text: t("Next"),
            onclick: () => { offset += PAGE; search(); } })));
      }
      mount(results,
        h("p", { class: "hint", id: "session-total", role: "status", text: `${fmtNumber(total)} ${t("conversations")}` }),
        table(rows, [
          { label: t("Started"), render: (r) => h("span", { class: "nowrap", text: fmtTime(r.created_at) }) },
          { label: t("Customer"), render: (r) => h("span", {}, h("bdi", { text: customerName(r) }),
            r.customer ? [" ", h("span", { class: `pill ${r.customer.verified ? "ok" : "warn"}`, text: r.customer.verified ? t("Verified") : t("Not verified") })] : null) },
          { label: t("Channel"), render: (r) => label(r.channel, "channel") },
          { label: t("Language"), render: (r) => langName(r.lang) },
          { label: t("Status"), render: (r) => label(r.status, "session_status") },
          { label: t("Messages"), render: (r) => fmtNumber(r.message_count) },
        ], { empty: t("Nothing here yet."), onRowClick: (r) => open(r.session_id || r.id, true),
          rowKey: (r) => r.session_id || r.id, selectedKey: openId,
          rowLabel: (r) => `${t("Open the transcript")}: ${customerName(r)} · ${fmtTime(r.created_at)}` }),
        pager);
    } catch (err) {
      mount(results, failure(err));
    } finally {
      results.removeAttribute("aria-busy");
    }
  }

  async function open(sid, byUser = false) {
    openId = sid;
    for (const row of results.querySelectorAll("tr[data-row-key]")) {
      if (row.dataset.rowKey === sid) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
    }
    mount(detailBox, card(t("Transcript"), h("p", { class: "loading", text: t("Loading…") })));
    try {
      const detail = await api("GET", `/v1/sessions/${encodeURIComponent(sid)}`);
      const s = detail.session || {};
      const outcome = detail.outcome;
      const heading = h("h2", { id: "transcript-title", tabindex: "-1" }, `${t("Transcript")}: `, h("bdi", { text: customerName(s) }));
      mount(detailBox, h("section", { class: "card", "aria-labelledby": "transcript-title" }, heading,
        h("dl", { class: "facts-list", id: "transcript-facts" },
          h("dt", { text: t("Customer") }), h("dd", {}, customerFacts(s)),
          h("dt", { text: t("Channel") }), h("dd", { text: label(s.channel, "channel") || "—" }),
          h("dt", { text: t("Language") }), h("dd", { text: langName(s.lang) }),
          h("dt", { text: t("Status") }), h("dd", { text: label(s.status, "session_status") || "—" }),
          s.handoff_reason ? [h("dt", { text: t("Hand-off reason") }), h("dd", { text: label(s.handoff_reason, "handoff_reason") })] : null),
        exportButtons("export-one", t("Export this conversation:"), (format) => `/v1/sessions/${encodeURIComponent(sid)}/transcript${qs({ format, lang: currentLang() })}`,
          `transcript-${sid}`, { canExport }),
        h("div", { class: "messages transcript", id: "transcript", role: "log", tabindex: "0", "aria-labelledby": "transcript-title" },
          (detail.messages || []).map((m) => messageBubble(m, { details: true }))),
        outcome ? h("p", { class: "hint", id: "transcript-outcome" }, `${t("Outcome")}: ${label(outcome.status, "outcome_status")}`,
          outcome.issue_category ? ` · ${label(outcome.issue_category, "issue_category")}` : "",
          outcome.root_cause ? [" · ", h("bdi", { text: outcome.root_cause })] : "") : null,
        (detail.linked_sessions || []).length ? h("div", { id: "linked-sessions" },
          h("h3", { text: t("Other conversations of this verified customer") }),
          h("ul", {}, detail.linked_sessions.map((l) => h("li", {},
            h("a", { href: `#/sessions?id=${encodeURIComponent(l.session_id)}`, text: `${fmtTime(l.created_at)} · ${label(l.status, "session_status")}` }))))) : null));
      if (byUser) focusTarget(heading);
    } catch (err) {
      mount(detailBox, card(t("Transcript"), failure(err)));
      if (err.status === 403) toast(err.message, "warn");
    }
  }

  await search();
  const wanted = (location.hash.split("?")[1] || "").match(/id=([^&]+)/)?.[1];
  if (wanted) open(decodeURIComponent(wanted));
}
