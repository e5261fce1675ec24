// Settings (admin): AI on/off with provider status, what the widget shows (company and agent
// names, hand-off, business hours), and a snippet generator with a live preview.
import { api } from "../api.js";
import { field, h, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { card, fill, labelOf } from "../ui.js";

function facts(obj) {
  return h("dl", { class: "facts-list" }, Object.entries(obj || {}).flatMap(([key, value]) => [
    h("dt", { text: labelOf(key) }),
    h("dd", { text: value === null || value === undefined ? "—" : typeof value === "object" ? JSON.stringify(value) : String(value) }),
  ]));
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
    return [
      h("p", {}, h("span", { class: `pill ${enabled ? "ok" : "bad"}`, id: "ai-enabled", text: enabled ? t("Enabled") : t("Disabled") }), " ",
        h("button", { type: "button", class: enabled ? "danger" : "primary", id: "ai-toggle", text: enabled ? t("Turn off") : t("Turn on"),
          onclick: async () => {
            try { await api("POST", `/v1/ai/${enabled ? "disable" : "enable"}`, {}); toast(t("Saved.")); loadAi(); } catch (err) { toast(err.message, "error"); }
          } })),
      facts(Object.fromEntries(Object.entries(status).filter(([k]) => !["enabled", "ai_enabled", "providers"].includes(k)))),
      status.providers && typeof status.providers === "object" ? h("ul", { class: "providers", id: "ai-providers" },
        Object.entries(status.providers).map(([name, p]) => h("li", {},
          h("span", { class: `pill ${p?.available ? "ok" : "bad"}`, text: name }), " ",
          p?.available ? t("Enabled") : String(p?.reason ?? "")))) : null,
    ];
  });

  fill(widget, async () => {
    const config = await api("GET", "/v1/widget/config");
    const hours = config.business_hours;
    const hoursText = hours && typeof hours === "object"
      ? [hours.always_open ? "24/7" : hours.spec, hours.timezone].filter(Boolean).join(" · ") : hours;
    return [facts({ company_name: config.company_name, agent_name: config.agent_name, handoff_enabled: config.handoff_enabled,
      business_open: config.business_open, business_hours: hoursText, languages: (config.languages || []).join(", "),
      ...(config.handoff_triggers ? { handoff_triggers: config.handoff_triggers } : {}) }),
    h("p", { class: "hint", text: t("Change COMPANY_NAME, AGENT_NAME, HANDOFF_TRIGGERS and BUSINESS_HOURS in data/nura.toml (or the environment) and restart; `nura doctor` prints the values in effect.") })];
  });

  // Snippet generator: only display options; the API address defaults to this server.
  const origin = location.origin;
  const server = h("input", { id: "snippet-server", value: origin, dir: "ltr" });
  const lang = h("select", { id: "snippet-lang" }, ["ar", "ku", "en"].map((l) => h("option", { value: l, text: l.toUpperCase() })));
  const position = h("select", { id: "snippet-position" }, ["bottom-right", "bottom-left"].map((p) => h("option", { value: p, text: p })));
  const primary = h("input", { type: "color", id: "snippet-primary", value: "#0f766e" });
  const code = h("pre", { class: "snippet", id: "snippet-code" });
  const frame = h("iframe", { class: "preview-frame", id: "snippet-preview", title: t("Preview") });
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
