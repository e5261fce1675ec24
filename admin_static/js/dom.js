// Tiny DOM helpers. Every piece of data goes in as a text node or an attribute value, never
// as HTML, so customer and agent text can never inject markup.
import { dirOfLang, locale, ownUnits, t, tf } from "./i18n.js";

/**
 * Create an element.
 * attrs: "class", "text" (textContent), "on<event>" handlers, "dataset" object, booleans
 * (true sets the attribute, false/null/undefined skips it), anything else via setAttribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" && "value" in el) el.value = value;
    else if (key === "checked" || key === "selected") el[key] = !!value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace all children of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function $(selector, root = document) { return root.querySelector(selector); }

/** Direction for a content language code: Arabic script (ar, ckb) is right-to-left. */
export function dirOf(lang) { return dirOfLang(lang); }

let ids = 0;
/** A page-unique id for aria-* references. */
export function uid(prefix = "id") { ids += 1; return `${prefix}-${ids}`; }

/**
 * Keep keyboard focus across a re-render: call before replacing content, then call the returned
 * function after. The element with the same data-focus-key (or id) gets focus again; when it is
 * gone, `fallback()` (if given) decides where focus goes, so it never drops to <body>.
 */
export function keepFocus(container, fallback) {
  const active = document.activeElement;
  if (!active || !container.contains(active)) return () => {};
  const key = active.dataset.focusKey || active.id || null;
  return () => {
    if (document.activeElement && document.activeElement !== document.body && container.contains(document.activeElement)) return;
    const again = key ? (container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`) || document.getElementById(key)) : null;
    if (again) again.focus({ preventScroll: true });
    else if (fallback) fallback()?.focus?.({ preventScroll: true });
  };
}

/** Move focus to an element that is not normally focusable (headings, panes). */
export function focusTarget(el) {
  if (!el) return;
  if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
  el.focus({ preventScroll: false });
}

export function fmtNumber(value, digits = 0) {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  return n.toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtPercent(value) {
  if (value === null || value === undefined) return "—";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  // Rates come as 0..1 fractions or as 0..100 percentages depending on the endpoint.
  return `${fmtNumber(n <= 1 ? n * 100 : n, 1)}%`;
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Number(seconds);
  if (!Number.isFinite(s)) return String(seconds);
  const own = { second: "{n} s", minute: "{n} min", hour: "{n} h" };
  const unit = (n, u) => (ownUnits() ? tf(own[u], { n: fmtNumber(n) })
    : new Intl.NumberFormat(locale(), { style: "unit", unit: u, unitDisplay: "narrow" }).format(n));
  if (s < 60) return unit(Math.round(s), "second");
  if (s < 3600) return `${unit(Math.floor(s / 60), "minute")} ${unit(Math.round(s % 60), "second")}`;
  return `${unit(Math.floor(s / 3600), "hour")} ${unit(Math.round((s % 3600) / 60), "minute")}`;
}

export function fmtTime(value) {
  if (!value) return "—";
  const date = typeof value === "number" ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  // Today's times need no date; older ones do.
  if (date.toDateString() === new Date().toDateString()) return date.toLocaleTimeString(locale(), { timeStyle: "short" });
  return date.toLocaleString(locale(), { dateStyle: "short", timeStyle: "short" });
}

export function fmtBytes(bytes) {
  const n = Number(bytes) || 0;
  const [value, unit, digits] = n < 1000 ? [n, "byte", 0] : n < 1e6 ? [n / 1000, "kilobyte", 0] : [n / 1e6, "megabyte", 1];
  if (ownUnits()) {
    // No unit names for Sorani/Kurmanji in the browser: the technical symbol, kept left-to-right
    // (a left-to-right isolate) so "501 B" does not turn into "B 501" in a right-to-left line.
    const symbol = { byte: "B", kilobyte: "kB", megabyte: "MB" }[unit];
    return `\u2066${fmtNumber(value, digits)} ${symbol}\u2069`;
  }
  // Intl writes the unit in the interface language and in the right order for its direction.
  return new Intl.NumberFormat(locale(), { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: digits }).format(value);
}

/** Debounce a function (search boxes). */
export function debounce(fn, ms = 250) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

/**
 * A modal dialog built on <dialog>; resolves with the submit result or null when cancelled.
 * Focus goes to the first field, stays inside while open (the browser's modal dialog does that),
 * and returns to the element that opened it — or to `returnFocus()` when that element is gone.
 */
export function modal(title, body, { submitLabel = t("OK"), cancelLabel = t("Cancel"), onSubmit, returnFocus, submit = true } = {}) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const titleId = uid("dialog-title");
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { method: "dialog", class: "modal-form" },
      h("h2", { id: titleId, text: title }), body, error,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", "data-action": "cancel", text: cancelLabel,
          onclick: () => dialog.close() }),
        submit ? h("button", { type: "submit", class: "primary", "data-action": "submit", text: submitLabel }) : null));
    const dialog = h("dialog", { class: "modal", "aria-labelledby": titleId }, form);
    let result = null;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        result = onSubmit ? await onSubmit(new FormData(form)) : true;
        result = result ?? true;
        dialog.close();
      } catch (err) {
        error.textContent = err.message || String(err);
      }
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      const back = opener && opener.isConnected && opener !== document.body ? opener : returnFocus?.();
      back?.focus?.();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = form.querySelector("input:not([type=hidden]), select, textarea");
    (first || form.querySelector("[data-action=cancel]"))?.focus();
  });
}

/** A labelled form field (the hint is tied to the control with aria-describedby). */
export function field(label, control, hint) {
  let hintEl = null;
  if (hint) {
    const hintId = uid("hint");
    hintEl = h("small", { class: "hint", id: hintId, text: hint });
    if (control instanceof Element) control.setAttribute("aria-describedby", hintId);
  }
  return h("label", { class: "field" }, h("span", { class: "label", text: label }), control, hintEl);
}

/**
 * A table from rows and column specs {key, label, render?}. With `onRowClick` (or `rowHref`) the
 * first cell holds a real button (or link) that does it, so keyboards and screen readers reach
 * it; a click anywhere else in the row does the same for the mouse. `rowKey(row)` marks rows
 * (data-row-key) so focus can come back to the same row after a re-render; `selectedKey` marks
 * the row whose details are shown (aria-current).
 */
export function table(rows, columns, { empty = "—", onRowClick, rowHref, rowLabel, rowKey, selectedKey, caption } = {}) {
  if (!rows || rows.length === 0) return h("p", { class: "empty", text: empty });
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col", text: c.label })));
  const body = rows.map((row) => {
    const key = rowKey ? String(rowKey(row)) : null;
    const cells = columns.map((c, index) => {
      const value = c.render ? c.render(row) : row[c.key];
      let content = value instanceof Node ? value : value === null || value === undefined || value === "" ? "—" : String(value);
      if (index === 0 && (onRowClick || rowHref)) {
        const attrs = { class: "row-link", "data-focus-key": key ? `row-${key}` : null, "aria-label": rowLabel ? rowLabel(row) : null };
        content = rowHref
          ? h("a", { ...attrs, href: rowHref(row) }, content)
          : h("button", { ...attrs, type: "button", onclick: (e) => { e.stopPropagation(); onRowClick(row); } }, content);
      }
      return h(index === 0 ? "th" : "td", index === 0 ? { scope: "row" } : {}, content);
    });
    const tr = h("tr", { "data-row-key": key, "aria-current": key !== null && key === selectedKey ? "true" : null }, cells);
    if (onRowClick || rowHref) {
      tr.classList.add("clickable");
      tr.addEventListener("click", (event) => {
        if (event.target.closest("a, button, input, select, textarea, label")) return;
        if (onRowClick) onRowClick(row); else location.hash = rowHref(row).replace(/^#/, "");
      });
    }
    return tr;
  });
  const wrap = h("div", { class: "table-wrap" },
    h("table", {}, caption ? h("caption", { class: "visually-hidden", text: caption }) : null, h("thead", {}, head), h("tbody", {}, body)));
  scrollableRegion(wrap, caption);
  return wrap;
}

/**
 * A box that may scroll sideways (a wide table on a phone) must be reachable by keyboard: while
 * it overflows it is a focusable, named region (arrow keys scroll it); otherwise it is plain.
 */
export function scrollableRegion(box, name) {
  const update = () => {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", regionName(box, name));
    } else if (!scrolls && box.getAttribute("tabindex") === "0") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  };
  new ResizeObserver(update).observe(box);
  return box;
}

/** A unique name for a scrolling region: its caption, else the heading above it, numbered if needed. */
function regionName(box, name) {
  let heading = name;
  for (let el = box.previousElementSibling; !heading && el; el = el.previousElementSibling) {
    if (/^H[1-4]$/.test(el.tagName)) heading = el.textContent.trim();
  }
  if (!heading) heading = box.closest("section")?.querySelector("h1, h2, h3")?.textContent.trim();
  const base = `${heading || t("Table")} (${t("scrolls sideways")})`;
  const taken = new Set([...document.querySelectorAll("[role=region][aria-label]")].filter((el) => el !== box).map((el) => el.getAttribute("aria-label")));
  let label = base;
  for (let n = 2; taken.has(label); n += 1) label = `${base} ${n}`;
  return label;
}

let toastBox = null;
let alertBox = null;
/** A short notice in the corner (errors are announced assertively). */
export function toast(message, kind = "info") {
  if (!toastBox) {
    toastBox = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    alertBox = h("div", { class: "toasts toasts-alert", role: "alert" });
    document.body.append(toastBox, alertBox);
  }
  const item = h("div", { class: `toast ${kind}`, text: message });
  (kind === "error" ? alertBox : toastBox).append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 5000);
}
