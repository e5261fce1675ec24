// Rendering of transcript messages, shared by the live queue and the sessions page. Text is
// always a text node (white-space: pre-wrap keeps line breaks), never parsed as HTML. Photos
// and PDFs need the staff token, so they are fetched and shown from blob: URLs.
import { download, fetchBlob } from "./api.js";
import { dirOf, fmtBytes, fmtNumber, fmtTime, h, toast } from "./dom.js";
import { label, t } from "./i18n.js";

const ROLE_CLASS = { customer: "user", user: "user", bot: "bot", assistant: "bot", agent: "agent", system: "system" };
const blobUrls = new Map();  // attachment url -> blob: URL, so a re-render does not fetch again

export function roleLabel(message) {
  if (message.role === "agent") return message.sender_name || t("Agent");
  if (message.role === "customer" || message.role === "user") return t("Customer");
  if (message.role === "system") return t("System notice");
  return t("Bot");
}

/** The customer's identity from the host site: name, phone, account id, verified or not. */
export function customerFacts(session) {
  const customer = session?.customer;
  const parts = [];
  if (customer && customer.name) parts.push(h("bdi", { class: "customer-name", text: customer.name }));
  const account = customer?.id || session?.customer_id;
  if (customer?.phone) parts.push(" · ", h("bdi", { dir: "ltr", text: customer.phone }));
  if (customer?.email) parts.push(" · ", h("bdi", { dir: "ltr", text: customer.email }));
  if (account) parts.push(parts.length ? " · " : "", h("bdi", { dir: "ltr", class: "customer-id", text: account }));
  if (!parts.length) parts.push("—");
  if (customer) {
    parts.push(" ", customer.verified
      ? h("span", { class: "pill ok identity", "data-verified": "true", text: t("Verified") })
      : h("span", { class: "pill warn identity", "data-verified": "false", text: t("Not verified") }));
  }
  return parts;
}

/** A short, plain-text name for lists (the verified name, else the id). */
export function customerName(session) {
  return session?.customer?.name || session?.customer?.id || session?.customer_id || String(session?.session_id || session?.id || "").slice(0, 8);
}

function attachmentView(attachment) {
  const name = attachment.name || attachment.id;
  const url = attachment.url;
  if (attachment.content_type && attachment.content_type.startsWith("image/") && url) {
    const img = h("img", { class: "attachment-image", alt: `${t("Photo")}: ${name}`, "data-attachment-id": attachment.id,
      width: attachment.width || null, height: attachment.height || null, loading: "lazy" });
    const show = (blobUrl) => { img.src = blobUrl; };
    if (blobUrls.has(url)) show(blobUrls.get(url));
    else fetchBlob(url).then((blob) => { const b = URL.createObjectURL(blob); blobUrls.set(url, b); show(b); })
      .catch(() => { img.alt = `${t("Photo")}: ${name} (${t("could not be loaded")})`; });
    const open = h("button", { type: "button", class: "attachment-open link", "aria-label": `${t("Open")} ${name}`,
      onclick: () => save(url, name) }, img);
    return h("figure", { class: "attachment" }, open,
      h("figcaption", {}, h("bdi", { text: name }), ` · ${fmtBytes(attachment.size)}`));
  }
  return h("p", { class: "attachment attachment-file" },
    h("button", { type: "button", class: "link", "data-attachment-id": attachment.id, onclick: () => save(url, name) },
      `${label(attachment.kind, "attachment_kind") || t("File")}: `, h("bdi", { text: name })),
    ` · ${fmtBytes(attachment.size)}`);
}

async function save(url, name) {
  try { await download(`${url}${url.includes("?") ? "&" : "?"}download=1`, name); } catch (err) { toast(err.message, "error"); }
}

/** One message bubble; with details=true bot answers show source, confidence and sources. */
export function messageBubble(message, { details = false } = {}) {
  const cls = ROLE_CLASS[message.role] || "bot";
  const meta = [];
  if (cls === "bot" && (message.source || message.confidence !== null && message.confidence !== undefined)) {
    meta.push(h("span", { class: "pill", "data-source": message.source || "", text: `${t("Source")}: ${label(message.source, "source") || "—"}` }));
    if (message.confidence !== null && message.confidence !== undefined) {
      meta.push(" ", h("span", { class: "pill", text: `${t("Confidence")}: ${fmtNumber(Number(message.confidence) * (message.confidence <= 1 ? 100 : 1), 0)}%` }));
    }
  }
  let sources = null;
  if (details && Array.isArray(message.sources) && message.sources.length) {
    sources = h("ul", { class: "msg-sources" }, message.sources.map((s) =>
      h("li", {}, `${label(s.kind, "source")} `, h("bdi", { text: s.title || s.id || "" }), s.score !== undefined ? ` · ${fmtNumber(s.score, 2)}` : "")));
  }
  const attachments = Array.isArray(message.attachments) && message.attachments.length
    ? h("div", { class: "attachments" }, message.attachments.map(attachmentView)) : null;
  return h("div", { class: `msg ${cls}`, "data-message-id": message.id ?? "" },
    h("div", { class: "who-line" }, h("bdi", { text: roleLabel(message) }), ` · ${fmtTime(message.created_at)}`),
    h("div", { class: "msg-text", lang: message.lang || null, dir: message.lang ? dirOf(message.lang) : "auto", text: message.text ?? "" }),
    attachments,
    meta.length ? h("div", { class: "msg-meta" }, meta) : null,
    sources);
}
