// Settings (admin): AI on/off with provider status and what it means, what customers see
// (company and assistant names, hand-off switch, triggers and thresholds, business hours —
// editable, see /v1/admin/settings), and a snippet generator with a live preview.
import { api } from "../api.js";
import { field, h, mount, toast } from "../dom.js";
import { label, langName, LANGS, t } from "../i18n.js";
import { card, fill, foreign, labelOf } from "../ui.js";

const SETTING_LABELS = {
  COMPANY_NAME: "Company name", AGENT_NAME: "Assistant name", HANDOFF_ENABLED: "Hand-off to a person",
  HANDOFF_LOW_CONFIDENCE_COUNT: "Handoff low confidence count", HANDOFF_NEGATIVE_SENTIMENT_COUNT: "Handoff negative sentiment count",
  HANDOFF_BAD_FEEDBACK_COUNT: "Handoff bad feedback count", BUSINESS_HOURS: "Business hours", BUSINESS_TIMEZONE: "Business timezone",
};

/** The run-time settings form (GET/PATCH /v1/admin/settings): each value with where it comes from. */
async function settingsForm(container) {
  const [listing, config] = await Promise.all([api("GET", "/v1/admin/settings"), api("GET", "/v1/widget/config")]);
  const items = Object.fromEntries(listing.settings.map((item) => [item.name, item]));
  const inputs = {};
  const source = (name) => {
    const item = items[name];
    const from = h("small", { class: `source source-${item.source}`, "data-source": name, text: `${t("Value from")}: ${label(item.source, "setting_source")}` });
    if (item.source !== "admin") return from;
    return h("span", {}, from, " ", h("button", { type: "button", class: "link", "data-reset": name, text: t("Reset"),
      "aria-label": `${t("Reset")}: ${t(SETTING_LABELS[name] || labelOf(item.key))}`,
      title: `${t("Back to")}: ${JSON.stringify(item.fallback)}`, onclick: () => save({ [item.key]: null }) }));
  };
  const text = (name, attrs = {}) => (inputs[name] = h("input", { id: `set-${items[name].key}`, value: items[name].value ?? "", maxlength: 200, ...attrs }));
  const number = (name) => (inputs[name] = h("input", { id: `set-${items[name].key}`, type: "number", min: items[name].minimum ?? 1, step: 1, value: items[name].value }));
  const enabled = (inputs.HANDOFF_ENABLED = h("input", { id: "set-handoff_enabled", type: "checkbox" }));
  enabled.checked = Boolean(items.HANDOFF_ENABLED.value);
  const triggers = listing.triggers.map((name) => {
    const box = h("input", { type: "checkbox", value: name, "data-trigger": name });
    box.checked = (items.HANDOFF_TRIGGERS.value || []).includes(name);
    return h("label", { class: "check" }, box, " ", label(name, "trigger"));
  });
  inputs.HANDOFF_TRIGGERS = { get value() { return [...container.querySelectorAll("[data-trigger]")].filter((b) => b.checked).map((b) => b.value); } };

  const row = (name, control, hint) => h("div", { class: "setting-row", "data-setting": name },
    field(t(SETTING_LABELS[name] || labelOf(items[name].key)), control, hint), source(name));
  const form = h("form", { id: "settings-form", class: "settings-form" },
    row("COMPANY_NAME", text("COMPANY_NAME", { dir: "auto" })),
    row("AGENT_NAME", text("AGENT_NAME", { dir: "auto" }), t("The bot's name in the chat.")),
    row("HANDOFF_ENABLED", h("label", { class: "check" }, enabled, " ", t("Customers may be handed to a person"))),
    h("fieldset", { id: "set-handoff_triggers", class: "setting-row", "data-setting": "HANDOFF_TRIGGERS" },
      h("legend", { text: t("Hand-off triggers") }), ...triggers, h("div", {}, source("HANDOFF_TRIGGERS"))),
    row("HANDOFF_LOW_CONFIDENCE_COUNT", number("HANDOFF_LOW_CONFIDENCE_COUNT")),
    row("HANDOFF_NEGATIVE_SENTIMENT_COUNT", number("HANDOFF_NEGATIVE_SENTIMENT_COUNT")),
    row("HANDOFF_BAD_FEEDBACK_COUNT", number("HANDOFF_BAD_FEEDBACK_COUNT")),
    row("BUSINESS_HOURS", text("BUSINESS_HOURS", { dir: "ltr", placeholder: "sat-thu 08:00-22:00; fri 14:00-20:00" }),
      t("Days and HH:MM-HH:MM ranges separated by ';' — empty means always open.")),
    row("BUSINESS_TIMEZONE", text("BUSINESS_TIMEZONE", { dir: "ltr", placeholder: "Asia/Baghdad" })),
    h("p", { class: "hint", id: "business-open", text: `${t("Business open")}: ${config.business_open ? t("Yes") : t("No")}` }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "settings-save", text: t("Save") })));

  function current(name) {
    const item = items[name];
    if (name === "HANDOFF_ENABLED") return enabled.checked;
    if (item.type === "int") return Number(inputs[name].value);
    return inputs[name].value;
  }
  async function save(changes) {
    for (const el of container.querySelectorAll(".setting-row.invalid")) el.classList.remove("invalid");
    try {
      await api("PATCH", "/v1/admin/settings", changes);
      toast(t("Saved."));
      fill(container, () => settingsForm(container));
    } catch (err) {
      const fieldName = err.details?.field;
      if (fieldName) container.querySelector(`[data-setting="${fieldName.toUpperCase()}"]`)?.classList.add("invalid");
      toast(err.message, "error");
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const changes = {};
    for (const name of Object.keys(inputs)) {
      const value = current(name);
      if (JSON.stringify(value) !== JSON.stringify(items[name].value)) changes[items[name].key] = value;
    }
    if (Object.keys(changes).length === 0) { toast(t("Nothing changed.")); return; }
    save(changes);
  });
  return [form];
}

/** What "AI answers" means right now, and what to do when no model is reachable. */
function aiExplanation(enabled, active) {
  const code = (text) => h("code", { dir: "ltr", text });
  if (!enabled) {
    return h("div", { class: "explain", id: "ai-explain" },
      h("p", { text: t("AI answers are off: the bot answers only from rules, the topic menu, articles and handbook extracts, and hands off to a person when it has no answer.") }));
  }
  if (active) {
    return h("div", { class: "explain", id: "ai-explain" },
      h("p", { text: t("AI answers are on: the bot writes answers with the active provider, grounded on the articles and handbook it finds.") }));
  }
  return h("div", { class: "explain warn", id: "ai-explain", "data-state": "no-provider" },
    h("p", { text: t("AI answers are on, but no language model can be reached, so no provider is active.") }),
    h("p", { text: t("Until one is, the bot answers from rules, articles and short extracts of the handbook, without generated sentences: it invents nothing.") }),
    h("p", { text: t("To get generated answers, do one of these and restart the server:") }),
    h("ul", {},
      h("li", {}, t("connect an OpenAI-compatible server (OpenAI, Ollama, llama.cpp): set"), " ", code("OPENAI_API_KEY"), " ", t("or"), " ",
        code("OPENAI_BASE_URL"), " ", t("in nura.toml or the environment;")),
      h("li", {}, t("or install the local model:"), " ", code("make install-local"), " ", t("then"), " ", code("nura models add MODEL.gguf"), "."),
      h("li", {}, t("The command"), " ", code("nura doctor"), " ", t("shows which one would answer."))));
}

export async function render(root) {
  const ai = h("div", { id: "ai-status" });
  const widget = h("div", { id: "widget-config" });
  const snippet = h("div", { id: "snippet" });
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t("Settings") })),
    h("div", { class: "grid" }, card(t("AI answers"), ai), card(t("What customers see"), widget)),
    card(t("Widget snippet"), snippet));

  const loadAi = () => fill(ai, async () => {
    const status = await api("GET", "/v1/ai/status");
    const enabled = status.enabled ?? status.ai_enabled ?? status.active ?? false;
    const active = status.active_provider;
    const providers = status.providers && typeof status.providers === "object" ? status.providers : {};
    return [
      h("dl", { class: "facts-list", id: "ai-facts" },
        h("dt", { text: t("AI answers") }),
        h("dd", {}, h("span", { class: `pill ${enabled ? "ok" : "bad"}`, id: "ai-enabled", text: enabled ? t("Enabled") : t("Disabled") })),
        h("dt", { text: t("Provider setting") }), h("dd", { id: "ai-setting", text: label(status.provider_setting, "ai_provider") || "—" }),
        h("dt", { text: t("Active provider") }),
        h("dd", { id: "ai-active", text: active ? label(active, "ai_provider") : t("None") }),
        status.streaming !== undefined ? [h("dt", { text: t("Streaming") }), h("dd", { text: status.streaming ? t("Yes") : t("No") })] : null),
      aiExplanation(enabled, active),
      Object.keys(providers).length ? h("div", {}, h("h3", { text: t("Providers") }),
        h("ul", { class: "providers", id: "ai-providers" }, Object.entries(providers).map(([name, p]) => h("li", { "data-provider": name },
          h("span", { class: `pill ${p?.available ? "ok" : "bad"}`, text: label(name, "ai_provider") }), " ",
          p?.available ? t("Ready") : [t("Not ready"), ": ", foreign(String(p?.reason ?? ""))])))) : null,
      h("p", {}, h("button", { type: "button", class: enabled ? "danger" : "primary", id: "ai-toggle", text: enabled ? t("Turn off") : t("Turn on"),
        onclick: async () => {
          try { await api("POST", `/v1/ai/${enabled ? "disable" : "enable"}`, {}); toast(t("Saved.")); await loadAi(); ai.querySelector("#ai-toggle")?.focus(); }
          catch (err) { toast(err.message, "error"); }
        } })),
    ];
  });

  fill(widget, () => settingsForm(widget));

  // Snippet generator: only display options; the API address defaults to this server.
  const origin = location.origin;
  const server = h("input", { id: "snippet-server", value: origin, dir: "ltr" });
  const lang = h("select", { id: "snippet-lang" }, LANGS.map((l) => h("option", { value: l, text: langName(l) })));
  const position = h("select", { id: "snippet-position" }, [["bottom-right", "Bottom right"], ["bottom-left", "Bottom left"]]
    .map(([p, name]) => h("option", { value: p, text: t(name) })));
  const primary = h("input", { type: "color", id: "snippet-primary", value: "#0f766e" });
  const code = h("pre", { class: "snippet", id: "snippet-code", dir: "ltr", tabindex: "0", "aria-label": t("Widget snippet") });
  const frame = h("iframe", { class: "preview-frame", id: "snippet-preview", title: t("Preview of the widget") });
  const copy = h("button", { type: "button", class: "secondary", text: t("Copy"), onclick: async () => {
    try { await navigator.clipboard.writeText(code.textContent); toast(t("Copied.")); } catch { toast(code.textContent); }
  } });

  let version = 0;
  function update() {
    const base = server.value.trim().replace(/\/+$/, "") || origin;
    code.textContent = `<script src="${base}/widget-loader.js"\n        data-api="${base}/v1"\n        data-lang="${lang.value}" data-position="${position.value}"\n        data-primary="${primary.value}" async></script>`;
    const params = new URLSearchParams({ lang: lang.value, position: position.value, primary: primary.value });
    // A new query forces a reload: changing only the fragment would keep the old widget.
    frame.src = `/admin/widget-preview.html?v=${++version}#${params}`;
  }
  for (const input of [server, lang, position, primary]) input.addEventListener("change", update);
  mount(snippet, h("div", { class: "filters" }, field(t("Server"), server), field(t("Language"), lang),
    field(t("Position"), position), field(t("Colour"), primary)), code, copy, h("h3", { text: t("Preview") }), frame);
  update();
  loadAi();
}
