// Knowledge gaps review: questions the bot could not answer well (low confidence, thumbs down,
// out of scope, hand-off after a bot answer). Admins approve with an answer (a new article or
// an example question on an existing one), reject or resolve. A question an agent matched to an
// article when resolving a hand-off shows that article and is accepted with one click.
import { api, qs } from "../api.js";
import { field, fmtNumber, fmtTime, h, keepFocus, modal, mount, table, toast } from "../dom.js";
import { currentLang, label, langName, t } from "../i18n.js";
import { reasonsText } from "./dashboard.js";
import { card, failure, rowsOf } from "../ui.js";

const gapId = (g) => g.group_id ?? g.id;

export async function render(root, { user }) {
  const isAdmin = user.role === "admin";
  const status = h("select", { id: "gap-status", "aria-label": t("Status") },
    ["open", "approved", "rejected", "resolved", "all"].map((s) => h("option", { value: s, text: s === "all" ? t("All") : label(s, "review_status") })));
  const list = h("div", { id: "gaps-table" });
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t("Knowledge gaps") }), h("span", { class: "spacer" }), status), card(null, list));

  const titles = {};
  async function loadTitles() {
    try {
      const { articles = [] } = await api("GET", "/v1/knowledge/articles");
      const lang = currentLang();
      for (const a of articles) titles[a.id] = (a.title && (a.title[lang] || a.title.ar || Object.values(a.title)[0])) || a.id;
    } catch { /* ids are shown instead */ }
  }

  async function load() {
    try {
      const rows = rowsOf(await api("GET", `/v1/knowledge-gaps${qs({ status: status.value, limit: 200 })}`), "groups", "gaps");
      const restore = keepFocus(list, () => status);
      mount(list, table(rows, [
        { label: t("Question"), render: (g) => h("span", { dir: "auto", lang: g.lang || null, text: g.question || g.text || "" }) },
        { label: t("Reason"), render: (g) => reasonsText(g.reasons ?? g.reason) },
        { label: t("Language"), render: (g) => langName(g.lang) },
        { label: t("Count"), render: (g) => fmtNumber(g.count ?? g.occurrences) },
        { label: t("Time"), render: (g) => fmtTime(g.last_seen || g.created_at) },
        { label: t("Status"), render: (g) => label(g.status, "review_status") },
        { label: t("Proposed article"), render: (g) => g.proposed_article
          ? h("span", { dir: "auto", text: titles[g.proposed_article] ? `${titles[g.proposed_article]} (${g.proposed_article})` : g.proposed_article }) : "—" },
        isAdmin ? { label: t("Actions"), render: (g) => h("span", { class: "row", "data-gap": gapId(g) },
          g.proposed_article && g.status === "open" ? h("button", { type: "button", class: "link", "data-action": "accept",
            "data-focus-key": `accept-${gapId(g)}`, text: t("Accept as example"),
            "aria-label": `${t("Accept as example")}: ${g.question || ""}`, onclick: () => accept(g) }) : null,
          h("button", { type: "button", class: "link", "data-action": "approve", "data-focus-key": `approve-${gapId(g)}`, text: t("Approve"),
            "aria-label": `${t("Approve")}: ${g.question || ""}`, onclick: () => approve(g) }),
          h("button", { type: "button", class: "link", "data-action": "reject", text: t("Reject"),
            "aria-label": `${t("Reject")}: ${g.question || ""}`, onclick: () => act(g, "reject") }),
          h("button", { type: "button", class: "link", "data-action": "resolve", text: t("Mark resolved"),
            "aria-label": `${t("Mark resolved")}: ${g.question || ""}`, onclick: () => act(g, "resolve") })) } : null,
      ].filter(Boolean), { empty: t("Nothing here yet.") }));
      restore();
    } catch (err) {
      mount(list, failure(err));
    }
  }

  // One click: the question (and the open questions grouped with it) become example questions
  // of the article the agent named when resolving the hand-off.
  async function accept(gap) {
    try {
      await api("POST", `/v1/knowledge-gaps/${encodeURIComponent(gapId(gap))}/approve`, { mode: "example", article_id: gap.proposed_article });
      toast(t("Added as an example question.")); load();
    } catch (err) { toast(err.message, "error"); }
  }

  async function act(gap, action) {
    try { await api("POST", `/v1/knowledge-gaps/${encodeURIComponent(gapId(gap))}/${action}`, {}); toast(t("Saved.")); load(); } catch (err) { toast(err.message, "error"); }
  }

  async function approve(gap) {
    const mode = h("select", { name: "mode", id: "gap-mode" },
      h("option", { value: "article", text: t("New article from answer") }), h("option", { value: "example", text: t("Example question") }));
    const answer = h("textarea", { name: "answer", id: "gap-answer", dir: ["ar", "ckb"].includes(gap.lang) ? "rtl" : "auto", lang: gap.lang || null });
    const articleId = h("input", { name: "article_id", id: "gap-article", dir: "ltr" });
    const done = await modal(t("Approve"), h("div", {},
      h("p", { dir: "auto", class: "hint", lang: gap.lang || null, text: gap.question || gap.text || "" }),
      field(t("Mode"), mode), field(t("Answer"), answer), field(t("Article id"), articleId)), {
      submitLabel: t("Approve"), cancelLabel: t("Cancel"),
      returnFocus: () => status,
      onSubmit: (data) => api("POST", `/v1/knowledge-gaps/${encodeURIComponent(gapId(gap))}/approve`, {
        mode: data.get("mode"), answer: data.get("answer").trim() || null, article_id: data.get("article_id").trim() || null }),
    });
    if (done) { toast(t("Saved.")); load(); }
  }

  status.addEventListener("change", load);
  await loadTitles();
  await load();
}
