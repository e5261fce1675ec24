// Rendering of transcript messages, shared by the live queue and the sessions page. Text is
// always a text node (white-space: pre-wrap keeps line breaks), never parsed as HTML.
import { dirOf, fmtNumber, fmtTime, h } from "./dom.js";
import { t } from "./i18n.js";

const ROLE_CLASS = { customer: "user", user: "user", bot: "bot", assistant: "bot", agent: "agent", system: "system" };

export function roleLabel(message) {
  if (message.role === "agent") return message.sender_name || t("Agent");
  if (message.role === "customer" || message.role === "user") return t("Customer");
  if (message.role === "system") return t("System notice");
  return t("Bot");
}

/** One message bubble; with details=true bot answers show source, confidence and sources. */
export function messageBubble(message, { details = false } = {}) {
  const cls = ROLE_CLASS[message.role] || "bot";
  const meta = [];
  if (cls === "bot" && (message.source || message.confidence !== null && message.confidence !== undefined)) {
    meta.push(h("span", { class: "pill", text: `${t("Source")}: ${message.source || "—"}` }));
    if (message.confidence !== null && message.confidence !== undefined) {
      meta.push(" ", h("span", { class: "pill", text: `${t("Confidence")}: ${fmtNumber(Number(message.confidence) * (message.confidence <= 1 ? 100 : 1), 0)}%` }));
    }
  }
  let sources = null;
  if (details && Array.isArray(message.sources) && message.sources.length) {
    sources = h("ul", { class: "msg-sources" }, message.sources.map((s) =>
      h("li", { text: `${s.kind || ""} ${s.title || s.id || ""}${s.score !== undefined ? ` · ${fmtNumber(s.score, 2)}` : ""}` })));
  }
  return h("div", { class: `msg ${cls}`, dir: message.lang ? dirOf(message.lang) : "auto", "data-message-id": message.id ?? "" },
    h("div", { class: "who-line", text: `${roleLabel(message)} · ${fmtTime(message.created_at)}` }),
    h("div", { class: "msg-text", text: message.text ?? "" }),
    meta.length ? h("div", { class: "msg-meta" }, meta) : null,
    sources);
}
