// Shared page pieces: "not available" states, section headers, date-range picker.
import { h } from "./dom.js";
import { t } from "./i18n.js";

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
  box.replaceChildren(h("p", { class: "loading", text: t("Loading…") }));
  try {
    const content = await loader();
    box.replaceChildren(...[content].flat().filter(Boolean));
  } catch (err) {
    box.replaceChildren(failure(err));
  }
}

export function card(title, ...children) {
  return h("section", { class: "card" }, title ? h("h2", { text: title }) : null, ...children);
}

/** A date-range picker: presets plus from/to dates. onChange({days, since, until}). */
export function rangePicker(onChange, initialDays = 30) {
  const presets = h("select", { "aria-label": t("Date"), class: "range-preset" },
    [7, 30, 90].map((d) => h("option", { value: d, selected: d === initialDays, text: t(`Last ${d} days`) })),
    h("option", { value: "custom", text: `${t("From")} … ${t("To")}` }));
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

/** Turn snake_case keys into readable labels. */
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
