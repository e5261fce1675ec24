// Knowledge → Rules: explicit phrases and their answers (greetings, thanks, "Ramadan contest" …).
// Phrases and the answer per language, "whole message" or "anywhere in the message", on/off,
// and a test box that shows what a customer message would trigger — the saved rules, the rule
// being edited (before saving) and what the bot would really answer. API: /v1/knowledge/rules.
import { api } from "../api.js";
import { dirOf, field, focusTarget, fmtTime, h, keepFocus, mount, toast, uid } from "../dom.js";
import { label, langName, t, tf } from "../i18n.js";
import { card, failure } from "../ui.js";

const LANGS = ["ar", "ckb", "ku", "en"];
const URL = "/v1/knowledge/rules";
const perLang = (value) => (value && typeof value === "object" && !Array.isArray(value) ? value : {});

function firstPhrase(rule) {
  for (const lang of LANGS) if ((rule.patterns?.[lang] || []).length) return [rule.patterns[lang][0], lang];
  return [rule.id, null];
}

export async function rulesTab(box) {
  const list = h("ul", { class: "list", id: "rule-list", "aria-label": t("Rules") });
  const editor = h("div", { id: "rule-editor" });
  let rules = [];
  let selected = null;
  const memory = { text: "", lang: "" };  // the test box keeps its message across saves
  mount(box, h("div", { class: "split" },
    card(null, h("div", { class: "row" },
      h("button", { type: "button", class: "primary", id: "new-rule", text: t("New rule"), onclick: () => edit(null, true) })),
    h("p", { class: "hint", text: t("The bot tries rules in this order, before articles.") }), list),
    editor));

  function renderList() {
    const restore = keepFocus(list, () => box.querySelector("#new-rule"));
    mount(list, rules.length ? rules.map((rule) => {
      const [phrase, lang] = firstPhrase(rule);
      return h("li", { class: rule.id === selected ? "selected" : "", "data-rule-id": rule.id },
        h("button", { type: "button", class: "list-item", "data-focus-key": `rule-${rule.id}`,
          "aria-current": rule.id === selected ? "true" : null, onclick: () => edit(rule.id, true) },
          h("span", { class: "list-title", lang, dir: lang ? dirOf(lang) : "auto", text: phrase }),
          h("small", {}, h("bdi", { dir: "ltr", text: rule.id }), ` · ${label(rule.match, "rule_match")}`,
            rule.enabled ? "" : ` · ${t("Off")}`)));
    }) : h("li", { class: "empty", text: t("No rules yet.") }));
    restore();
  }

  async function load() {
    try {
      rules = (await api("GET", URL)).rules || [];
      renderList();
    } catch (err) {
      mount(list, h("li", {}, failure(err)));
    }
  }

  async function edit(id, byUser = false) {
    selected = id;
    renderList();
    const rule = id ? rules.find((r) => r.id === id) : { id: "", patterns: {}, response: {}, match: "exact", enabled: true };
    if (!rule) { mount(editor); return; }
    mount(editor, ruleForm(rule, !id, memory, {
      saved: async (saved) => { toast(t("Saved.")); await load(); await edit(saved.id); },
      deleted: async () => {
        toast(t("Deleted."));
        selected = null;
        await load();
        mount(editor);
        box.querySelector("#new-rule")?.focus();
      },
    }));
    if (byUser) focusTarget(editor.querySelector("h2"));
  }

  await load();
  if (rules.length) await edit(rules[0].id);
  else await edit(null);
}

function ruleForm(rule, isNew, memory, { saved, deleted }) {
  const error = h("p", { class: "error", role: "alert", id: "rule-error" });
  const id = h("input", { name: "id", id: "rule-id", dir: "ltr", value: rule.id || "", readonly: !isNew,
    pattern: "[a-z0-9][a-z0-9_\\-]*", placeholder: isNew ? t("made up when empty") : null });
  const matchName = uid("rule-match");
  const matchChoices = h("fieldset", { class: "choices", id: "rule-match" },
    h("legend", { text: t("The phrase must be") }),
    ["exact", "contains"].map((mode) => h("label", { class: "check" },
      h("input", { type: "radio", name: matchName, value: mode, id: `rule-match-${mode}`, checked: (rule.match || "exact") === mode }),
      label(mode, "rule_match"))),
    h("small", { class: "hint", text: t("Whole message: the message is the phrase (a word or two more are fine). Anywhere: the phrase appears in a longer message; an article that fits the message still wins.") }));
  const enabled = h("input", { type: "checkbox", id: "rule-enabled", checked: rule.enabled !== false });
  const inputs = {};
  const columns = LANGS.map((lang) => {
    const dir = dirOf(lang);
    const phrases = h("textarea", { id: `rule-phrases-${lang}`, class: "phrases", dir, lang, rows: 4 });
    phrases.value = (perLang(rule.patterns)[lang] || []).join("\n");
    const answer = h("textarea", { id: `rule-answer-${lang}`, dir, lang, rows: 4, maxlength: 4000 });
    answer.value = perLang(rule.response)[lang] || "";
    inputs[lang] = { phrases, answer };
    return h("fieldset", { class: "lang-col", "data-lang": lang },
      h("legend", {}, h("span", { class: "lang-name", text: langName(lang) })),
      field(t("Phrases (one per line)"), phrases), field(t("Answer"), answer));
  });

  function draft() {
    const body = { patterns: {}, response: {}, match: matchChoices.querySelector("input:checked")?.value || "exact", enabled: enabled.checked };
    if (id.value.trim()) body.id = id.value.trim();
    for (const lang of LANGS) {
      const lines = inputs[lang].phrases.value.split("\n").map((l) => l.trim()).filter(Boolean);
      if (lines.length) body.patterns[lang] = lines;
      if (inputs[lang].answer.value.trim()) body.response[lang] = inputs[lang].answer.value.trim();
    }
    return body;
  }

  function showError(err) {
    const fieldName = err.details?.field;
    error.textContent = err.unavailable ? t("Not available yet") : err.message;
    const target = fieldName === "patterns" ? inputs.ar.phrases : fieldName === "response" ? inputs.ar.answer
      : fieldName === "id" ? id : null;
    (target || error).focus?.();
  }

  async function save(event) {
    event.preventDefault();
    error.textContent = "";
    const body = draft();
    try {
      const result = isNew ? await api("POST", URL, body)
        : await api("PUT", `${URL}/${encodeURIComponent(rule.id)}`, body);
      await saved(result);
    } catch (err) {
      showError(err);
    }
  }

  async function remove() {
    if (!confirm(tf("Delete {name}?", { name: rule.id }))) return;
    try { await api("DELETE", `${URL}/${encodeURIComponent(rule.id)}`); await deleted(); } catch (err) { showError(err); }
  }

  // The test box: what would this customer message trigger?
  const testText = h("input", { id: "rule-test-text", class: "grow", dir: "auto", placeholder: t("A customer message"),
    "aria-label": t("A customer message") });
  const testLang = h("select", { id: "rule-test-lang", "aria-label": t("Customer language") },
    h("option", { value: "", text: t("Detect") }), LANGS.map((l) => h("option", { value: l, text: langName(l) })));
  const testOut = h("div", { id: "rule-test-result", role: "status", "aria-live": "polite" });
  async function runTest(event) {
    event?.preventDefault();
    if (!testText.value.trim()) { if (event) testText.focus(); return; }
    memory.text = testText.value;
    memory.lang = testLang.value;
    const body = { text: testText.value.trim() };
    if (testLang.value) body.lang = testLang.value;
    const current = draft();
    if (Object.keys(current.patterns).length && Object.keys(current.response).length) body.rule = { ...current, id: current.id || "draft" };
    try {
      const result = await api("POST", `${URL}/test`, body);
      mount(testOut, testResult(result, rule.id || current.id || "draft"));
    } catch (err) {
      mount(testOut, failure(err));
    }
  }
  const testForm = h("form", { class: "rule-test", id: "rule-test", "aria-labelledby": "rule-test-title" },
    h("h3", { id: "rule-test-title", text: t("Test a message") }),
    h("div", { class: "row" }, testText, testLang, h("button", { type: "submit", class: "secondary", id: "rule-test-run", text: t("Test") })),
    testOut);
  testForm.addEventListener("submit", runTest);
  // After a save the same message is tested again, so the admin sees the saved rule at work.
  if (memory.text) {
    testText.value = memory.text;
    testLang.value = memory.lang;
    runTest();
  }

  const form = h("form", { class: "card rule-form", id: "rule-form", "aria-labelledby": "rule-form-title" },
    h("h2", { id: "rule-form-title", tabindex: "-1" }, isNew ? t("New rule") : [t("Rule"), " ", h("bdi", { dir: "ltr", text: rule.id })]),
    rule.updated_at ? h("p", { class: "hint", text: `${t("Last changed")}: ${fmtTime(rule.updated_at)}` }) : null,
    h("div", { class: "filters" }, field(t("ID"), id), h("label", { class: "check" }, enabled, t("On (the bot uses this rule)"))),
    matchChoices,
    h("div", { class: "lang-columns" }, columns), error,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", id: "save-rule", text: t("Save") }),
      isNew ? null : h("button", { type: "button", class: "danger", id: "delete-rule", text: t("Delete"), onclick: remove })));
  form.addEventListener("submit", save);
  return [form, card(null, testForm)];
}

function hitLine(hit) {
  return h("li", { "data-rule-id": hit.rule_id },
    h("bdi", { dir: "ltr", text: hit.rule_id }), " · ", h("q", { dir: "auto", text: hit.phrase }), " · ",
    label(hit.match, "rule_match"), " · ", hit.whole_message ? t("the whole message") : t("part of the message"));
}

function testResult(result, editingId) {
  const answer = result.answer || {};
  const saved = result.rules || [];
  const used = answer.rule_id;
  return h("div", { class: "try-result" },
    h("p", { id: "rule-test-draft" }, result.draft
      ? [h("span", { class: "pill ok", text: t("This rule would fire") }), " ", h("q", { dir: "auto", text: result.draft.phrase })]
      : h("span", { class: "pill", text: t("This rule would not fire") })),
    saved.length ? [h("h4", { text: t("Saved rules this message triggers") }), h("ul", { id: "rule-test-hits" }, saved.map(hitLine))]
      : h("p", { class: "hint", text: t("No saved rule fires for this message.") }),
    h("h4", { text: t("What the bot answers now") }),
    h("p", { class: "row", id: "rule-test-answer" },
      h("span", { class: "pill", "data-tier": answer.tier || "", text: `${t("Tier")}: ${label(answer.tier, "source") || "—"}` }),
      used ? h("span", { class: "pill", text: `${t("Rule")}: ${used}` }) : null,
      answer.article_id ? h("span", { class: "pill", text: `${t("Article")}: ${answer.article_id}` }) : null,
      used && used === editingId ? h("span", { class: "pill ok", text: t("this rule") }) : null),
    h("div", { class: "msg bot", dir: result.lang ? dirOf(result.lang) : "auto", lang: result.lang || null },
      h("div", { class: "msg-text", text: answer.response || "" })));
}
