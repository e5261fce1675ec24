// Shared page pieces: "not available" states, cards, tabs, the date-range picker.
import { h, mount, uid } from "./dom.js";
import { currentLang, t } from "./i18n.js";

/** Friendly state for an endpoint the server does not have yet (or any other load error). */
export function failure(err) {
  if (err && err.unavailable) {
    return h("div", { class: "unavailable", "data-state": "unavailable" },
      h("strong", { text: t("Not available yet") }), h("p", { text: t("This part of the server is not installed yet.") }));
  }
  return h("p", { class: "error", role: "alert", text: err?.message || String(err) });
}

/** Run a loader and put its result (or a failure state) into a box. */
export async function fill(box, loader) {
  box.setAttribute("aria-busy", "true");
  box.replaceChildren(h("p", { class: "loading", text: t("Loading…") }));
  try {
    const content = await loader();
    box.replaceChildren(...[content].flat().filter(Boolean));
  } catch (err) {
    box.replaceChildren(failure(err));
  } finally {
    box.removeAttribute("aria-busy");
  }
}

/** A titled section; the heading level defaults to 2 (page sections). */
export function card(title, ...children) {
  const headingId = title ? uid("card") : null;
  return h("section", { class: "card", "aria-labelledby": headingId },
    title ? h("h2", { id: headingId, text: title }) : null, ...children);
}

/**
 * ARIA tabs (WAI-ARIA Authoring Practices): a tablist of buttons with aria-selected and
 * aria-controls, one tabpanel labelled by its tab, the arrow keys move between tabs (mirrored in
 * right-to-left), Home/End jump, only the selected tab is in the Tab order.
 * Returns {element, panel, select(key)}; onSelect(key, panel) draws the panel.
 */
export function tabs(items, { active, onSelect, label, idPrefix = "tab" }) {
  const list = h("div", { class: "tabs", role: "tablist", "aria-label": label });
  const panel = h("div", { class: "tab-panel", role: "tabpanel", id: `${idPrefix}-panel`, tabindex: "0" });
  let current = active || items[0].key;
  const buttons = items.map((item) => h("button", {
    type: "button", role: "tab", id: `${idPrefix}-${item.key}`, "data-tab": item.key, "aria-controls": panel.id,
    text: item.label, onclick: () => select(item.key, true),
  }));
  list.addEventListener("keydown", (event) => {
    const index = buttons.indexOf(document.activeElement);
    if (index < 0) return;
    const rtl = getComputedStyle(list).direction === "rtl";
    const next = { ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1 }[event.key];
    let target = null;
    if (next) target = buttons[(index + next + buttons.length) % buttons.length];
    else if (event.key === "Home") target = buttons[0];
    else if (event.key === "End") target = buttons[buttons.length - 1];
    if (!target) return;
    event.preventDefault();
    target.focus();
    select(target.dataset.tab, true);
  });
  function select(key, byUser = false) {
    current = key;
    for (const button of buttons) {
      const on = button.dataset.tab === key;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
      button.classList.toggle("active", on);
    }
    panel.setAttribute("aria-labelledby", `${idPrefix}-${key}`);
    panel.dataset.tab = key;
    onSelect(key, panel, byUser);
  }
  mount(list, buttons);
  return { element: list, panel, select, get current() { return current; } };
}

/** A date-range picker: presets plus from/to dates. onChange({days, since, until}). */
export function rangePicker(onChange, initialDays = 30) {
  const presets = h("select", { "aria-label": t("Period"), class: "range-preset" },
    [7, 30, 90].map((d) => h("option", { value: d, selected: d === initialDays, text: t(`Last ${d} days`) })),
    h("option", { value: "custom", text: t("Custom dates") }));
  const since = h("input", { type: "date", class: "range-since hidden", "aria-label": t("From"), disabled: true });
  const until = h("input", { type: "date", class: "range-until hidden", "aria-label": t("To"), disabled: true });
  const value = () => {
    if (presets.value !== "custom") return { days: Number(presets.value) };
    const from = since.value ? new Date(since.value) : null;
    const to = until.value ? new Date(until.value) : new Date();
    const days = from ? Math.max(1, Math.ceil((to - from) / 86400000) + 1) : 30;
    return { days, since: since.value || undefined, until: until.value || undefined };
  };
  presets.addEventListener("change", () => {
    const custom = presets.value === "custom";
    since.disabled = !custom; until.disabled = !custom;
    since.classList.toggle("hidden", !custom); until.classList.toggle("hidden", !custom);
    if (!custom) onChange(value());
  });
  for (const input of [since, until]) input.addEventListener("change", () => onChange(value()));
  return { element: h("div", { class: "range-picker" }, presets, since, until), value };
}

/** Turn snake_case keys into readable, translated labels. */
export function labelOf(key) {
  const text = String(key).replace(/_/g, " ");
  return t(text.charAt(0).toUpperCase() + text.slice(1));
}

/** The list inside a response: the body itself, a preferred key, or its first array value. */
export function rowsOf(body, ...keys) {
  if (Array.isArray(body)) return body;
  if (!body || typeof body !== "object") return [];
  for (const key of [...keys, "items", "entries", "results"]) if (Array.isArray(body[key])) return body[key];
  return Object.values(body).find(Array.isArray) || [];
}

/** Text written in another language than the interface's (server messages are English). */
export function foreign(text, lang = "en") {
  return h("span", { lang, dir: lang === "ar" || lang === "ckb" ? "rtl" : "ltr", class: "foreign", text });
}

/** The interface language is right-to-left. */
export function isRtl() { return ["ar", "ckb"].includes(currentLang()); }

/** The menu badge: how many chats wait (and unread messages); its meaning is read out with it. */
export function setBadge(count) {
  const badge = document.getElementById("queue-badge");
  if (!badge) return;
  badge.textContent = String(count);
  badge.classList.toggle("hidden", count === 0);
  const text = document.getElementById("queue-badge-text");
  if (text) text.textContent = count ? ` (${count} ${t("waiting")})` : "";
}
