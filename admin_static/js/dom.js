// Tiny DOM helpers. Every piece of data goes in as a text node or an attribute value, never
// as HTML, so customer and agent text can never inject markup.

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

/** Direction for a language code: Arabic script is right-to-left (Kurmanji is Latin, LTR). */
export function dirOf(lang) { return lang === "ar" ? "rtl" : "ltr"; }

export function fmtNumber(value, digits = 0) {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  return n.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
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
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${Math.round(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${Math.round((s % 3600) / 60)}m`;
}

export function fmtTime(value) {
  if (!value) return "—";
  const date = typeof value === "number" ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  // Today's times need no date; older ones do.
  const locale = document.documentElement.lang === "ar" ? "ar" : undefined;
  if (date.toDateString() === new Date().toDateString()) return date.toLocaleTimeString(locale, { timeStyle: "short" });
  return date.toLocaleString(locale, { dateStyle: "short", timeStyle: "short" });
}

/** Debounce a function (search boxes). */
export function debounce(fn, ms = 250) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

/** A modal dialog built on <dialog>; resolves with the submit result or null when cancelled. */
export function modal(title, body, { submitLabel = "OK", cancelLabel = "Cancel", onSubmit } = {}) {
  return new Promise((resolve) => {
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { method: "dialog", class: "modal-form" },
      h("h2", { text: title }), body, error,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", "data-action": "cancel", text: cancelLabel,
          onclick: () => { dialog.close(); resolve(null); } }),
        h("button", { type: "submit", class: "primary", "data-action": "submit", text: submitLabel })));
    const dialog = h("dialog", { class: "modal" }, form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        const result = onSubmit ? await onSubmit(new FormData(form)) : true;
        dialog.close();
        resolve(result ?? true);
      } catch (err) {
        error.textContent = err.message || String(err);
      }
    });
    dialog.addEventListener("close", () => { dialog.remove(); resolve(null); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A labelled form field. */
export function field(label, control, hint) {
  return h("label", { class: "field" }, h("span", { class: "label", text: label }), control,
    hint ? h("small", { class: "hint", text: hint }) : null);
}

/** A table from rows and column specs {key, label, render?}. */
export function table(rows, columns, { empty = "—", onRowClick } = {}) {
  if (!rows || rows.length === 0) return h("p", { class: "empty", text: empty });
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col", text: c.label })));
  const body = rows.map((row) => {
    const tr = h("tr", {}, columns.map((c) => {
      const value = c.render ? c.render(row) : row[c.key];
      return h("td", {}, value instanceof Node ? value : value === null || value === undefined ? "—" : String(value));
    }));
    if (onRowClick) { tr.classList.add("clickable"); tr.tabIndex = 0; tr.addEventListener("click", () => onRowClick(row)); }
    return tr;
  });
  return h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, head), h("tbody", {}, body)));
}

let toastBox = null;
/** A short notice in the corner. */
export function toast(message, kind = "info") {
  if (!toastBox) { toastBox = h("div", { class: "toasts", role: "status", "aria-live": "polite" }); document.body.append(toastBox); }
  const item = h("div", { class: `toast ${kind}`, text: message });
  toastBox.append(item);
  setTimeout(() => item.remove(), 5000);
}
