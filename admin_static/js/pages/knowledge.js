// Knowledge (admin): articles in ar/ckb/ku/en side by side, the topic tree, the rules (explicit
// phrases and their answers), handbook uploads with ingestion progress and history, "try a
// question", and pack import/export. Only the language columns' own fields carry a lang
// attribute: the interface labels inside them stay in the interface language.
import { api, download } from "../api.js";
import { dirOf, field, fmtNumber, fmtTime, focusTarget, h, keepFocus, mount, table, toast } from "../dom.js";
import { label, langName, t, tf } from "../i18n.js";
import { card, failure, fill, foreign, rowsOf, tabs } from "../ui.js";
import { rulesTab } from "./rules.js";

const LANGS = ["ar", "ckb", "ku", "en"];
const SLUG = /^[a-z0-9][a-z0-9_-]*$/;

export const K = {
  articles: "/v1/knowledge/articles",
  article: (id) => `/v1/knowledge/articles/${encodeURIComponent(id)}`,
  tree: "/v1/knowledge/tree",
  upload: "/v1/knowledge/upload",
  ingest: "/v1/knowledge/ingest",
  runs: "/v1/knowledge/ingestions",
  stats: "/v1/knowledge/stats",
  try: "/v1/knowledge/try",
  exportPack: "/v1/knowledge/packs/export",
  importPack: "/v1/knowledge/packs/import",
};

const perLang = (value) => (value && typeof value === "object" && !Array.isArray(value) ? value : {});

/** A language column's heading: the language's own name, marked as that language. */
export function langHeading(lang, tag = "h3") {
  return h(tag, { class: "lang-name", text: langName(lang) });
}

export async function render(root) {
  const TABS = [["articles", "Articles", articlesTab], ["tree", "Topic tree", treeTab], ["rules", "Rules", rulesTab],
    ["handbook", "Handbook", handbookTab], ["try", "Try a question", tryTab], ["packs", "Packs", packsTab]];
  const wanted = (location.hash.split("?")[1] || "").match(/tab=(\w+)/)?.[1];
  const bar = tabs(TABS.map(([key, name]) => ({ key, label: t(name) })), {
    active: TABS.some(([key]) => key === wanted) ? wanted : "articles", label: t("Knowledge"), idPrefix: "knowledge-tab",
    onSelect: (key, panel) => {
      const body = h("div", { id: "knowledge-body" });
      mount(panel, body);
      TABS.find(([k]) => k === key)[2](body);
    },
  });
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t("Knowledge") })), bar.element, bar.panel);
  bar.select(bar.current);
}

// -- articles ---------------------------------------------------------------------------------
async function articlesTab(box) {
  const list = h("ul", { class: "list", id: "article-list", "aria-label": t("Articles") });
  const editor = h("div", { id: "article-editor" });
  const filter = h("input", { type: "search", placeholder: t("Search"), "aria-label": t("Search articles"), id: "article-filter" });
  let articles = [];
  let selected = null;
  mount(box, h("div", { class: "split" },
    card(null, h("div", { class: "row" }, filter,
      h("button", { type: "button", class: "primary", id: "new-article", text: t("New article"), onclick: () => edit(null, true) })), list),
    editor));

  function renderList() {
    const restore = keepFocus(list, () => filter);
    const needle = filter.value.trim().toLowerCase();
    const shown = articles.filter((a) => !needle || JSON.stringify([a.id, a.title]).toLowerCase().includes(needle));
    mount(list, shown.map((a) => {
      const titles = perLang(a.title);
      return h("li", { class: a.id === selected ? "selected" : "", "data-article-id": a.id },
        h("button", { type: "button", class: "list-item", "data-focus-key": `article-${a.id}`,
          "aria-current": a.id === selected ? "true" : null, onclick: () => edit(a.id, true) },
          h("span", { dir: "auto", class: "list-title", text: titles.ar || titles.ckb || titles.en || titles.ku || a.id }),
          h("small", { dir: "ltr", text: `${a.id} · ${a.category || ""}` })));
    }));
    restore();
  }
  filter.addEventListener("input", renderList);

  async function load() {
    try {
      articles = rowsOf(await api("GET", K.articles), "articles");
      renderList();
    } catch (err) {
      mount(list, h("li", {}, failure(err)));
    }
  }

  // Each opening of the editor takes a ticket; an article that arrives after a newer choice is
  // dropped. (The first article opens by itself when the tab loads: on a slow link its answer
  // came after the admin had picked another article and replaced that form, so the admin's
  // edit was saved into the wrong article.)
  let ticket = 0;
  async function edit(id, byUser = false) {
    const mine = ++ticket;
    selected = id;
    renderList();
    let article = { id: "", category: "", title: {}, body: {}, examples: {}, keywords: [] };
    if (id) {
      try {
        const got = await api("GET", K.article(id));
        if (mine !== ticket) return;
        article = got.article || got;
      } catch (err) {
        if (mine === ticket) mount(editor, card(null, failure(err)));
        return;
      }
    }
    mount(editor, articleForm(article, !id, async (saved) => { toast(t("Saved.")); await load(); await edit(saved); },
      async () => { toast(t("Deleted.")); await load(); selected = null; renderList(); mount(editor); filter.focus(); }));
    if (byUser) focusTarget(editor.querySelector("h2"));
  }

  await load();
  if (articles.length) await edit(articles[0].id);
}

function articleForm(article, isNew, onSaved, onDeleted) {
  const error = h("p", { class: "error", role: "alert" });
  const id = h("input", { name: "id", value: article.id || "", required: true, readonly: !isNew, id: "article-id", dir: "ltr", pattern: "[a-z0-9][a-z0-9_\\-]*" });
  const category = h("input", { name: "category", value: article.category || "", id: "article-category", dir: "ltr" });
  const keywords = h("input", { name: "keywords", value: (article.keywords || []).join(", "), id: "article-keywords", dir: "auto" });
  const inputs = {};
  const columns = LANGS.map((lang) => {
    const dir = dirOf(lang);
    const title = h("input", { id: `article-title-${lang}`, dir, lang, value: perLang(article.title)[lang] || "" });
    const text = h("textarea", { id: `article-body-${lang}`, class: "body", dir, lang });
    text.value = perLang(article.body)[lang] || "";
    const examples = h("textarea", { id: `article-examples-${lang}`, dir, lang });
    examples.value = (perLang(article.examples)[lang] || []).join("\n");
    inputs[lang] = { title, text, examples };
    // Only the fields are in the column's language (lang, dir): the column and its labels follow the interface.
    return h("fieldset", { class: "lang-col", "data-lang": lang },
      h("legend", {}, langHeading(lang, "span")),
      field(t("Title"), title), field(t("Body"), text), field(t("Examples (one per line)"), examples));
  });

  async function save(event) {
    event.preventDefault();
    error.textContent = "";
    if (!SLUG.test(id.value.trim())) { error.textContent = t("The ID uses small Latin letters, digits, - and _."); id.focus(); return; }
    const payload = { id: id.value.trim(), category: category.value.trim() || null,
      keywords: keywords.value.split(/[,،]/).map((k) => k.trim()).filter(Boolean), title: {}, body: {}, examples: {} };
    for (const lang of LANGS) {
      const { title, text, examples } = inputs[lang];
      if (title.value.trim()) payload.title[lang] = title.value.trim();
      if (text.value.trim()) payload.body[lang] = text.value.trim();
      const lines = examples.value.split("\n").map((l) => l.trim()).filter(Boolean);
      if (lines.length) payload.examples[lang] = lines;
    }
    try {
      if (isNew) await api("POST", K.articles, payload);
      else await api("PUT", K.article(payload.id), payload);
      onSaved(payload.id);
    } catch (err) {
      error.textContent = err.unavailable ? t("Not available yet") : err.message;
    }
  }

  async function remove() {
    if (!confirm(tf("Delete {name}?", { name: article.id }))) return;
    try { await api("DELETE", K.article(article.id)); onDeleted(); } catch (err) { error.textContent = err.message; }
  }

  const form = h("form", { class: "card article-form", id: "article-form", "aria-labelledby": "article-form-title" },
    h("h2", { id: "article-form-title", tabindex: "-1" }, isNew ? t("New article") : h("bdi", { dir: "auto", text: perLang(article.title).ar || article.id })),
    h("div", { class: "filters" }, field(t("ID"), id), field(t("Category"), category), h("div", { class: "grow" }, field(t("Keywords (comma separated)"), keywords))),
    h("div", { class: "lang-columns" }, columns), error,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary", id: "save-article", text: t("Save") }),
      isNew ? null : h("button", { type: "button", class: "danger", id: "delete-article", text: t("Delete"), onclick: remove })));
  form.addEventListener("submit", save);
  return form;
}

// -- topic tree -----------------------------------------------------------------------------------
async function treeTab(box) {
  let articles = [];
  let tree = null;
  const holder = h("div", { class: "tree", id: "tree-editor" });
  const error = h("p", { class: "error", role: "alert" });
  mount(box, card(null, holder, error, h("button", { type: "button", class: "primary", id: "save-tree", text: t("Save tree"), onclick: save })));
  try {
    [articles, tree] = await Promise.all([
      api("GET", K.articles).then((b) => rowsOf(b, "articles")).catch(() => []),
      api("GET", K.tree).then((b) => b?.tree ?? b),
    ]);
  } catch (err) {
    mount(box, failure(err));
    return;
  }
  tree = tree || { id: "root", label: {}, children: [] };

  function nodeView(node, parent) {
    const labels = LANGS.map((lang) => {
      const input = h("input", { dir: dirOf(lang), lang, placeholder: lang.toUpperCase(),
        "aria-label": `${t("Label")} (${label(lang, "language")}) · ${node.id}`, value: perLang(node.label)[lang] || "" });
      input.addEventListener("input", () => { node.label = { ...perLang(node.label), [lang]: input.value }; });
      return input;
    });
    const idInput = h("input", { value: node.id, dir: "ltr", "aria-label": `${t("ID")} · ${node.id}`, class: "node-id" });
    idInput.addEventListener("input", () => { node.id = idInput.value.trim(); });
    // A leaf names an article or starts an action (the original NURA's agent and complaint nodes).
    const articleSel = h("select", { "aria-label": `${t("Article")} · ${node.id}` }, h("option", { value: "", text: "—" }),
      h("option", { value: "@agent", selected: node.action === "agent", text: t("Action: talk to a person") }),
      h("option", { value: "@complaint", selected: node.action === "complaint", text: t("Action: complaint form") }),
      articles.map((a) => h("option", { value: a.id, selected: a.id === node.article, text: a.id })));
    articleSel.addEventListener("change", () => {
      const value = articleSel.value;
      delete node.article; delete node.action; delete node.children;
      if (value.startsWith("@")) node.action = value.slice(1);
      else if (value) node.article = value;
      else node.children = [];
      redraw();
    });
    const controls = h("span", { class: "row" },
      node.article || node.action ? null : h("button", { type: "button", class: "link", "data-focus-key": `add-${node.id}`,
        "aria-label": `${t("Add child")} · ${node.id}`, text: `+ ${t("Add child")}`, onclick: () => {
          node.children = node.children || [];
          const child = { id: `${node.id}-${node.children.length + 1}`.slice(0, 60), label: {}, children: [] };
          node.children.push(child);
          redraw();
          holder.querySelector(`[data-node-id="${CSS.escape(child.id)}"] input[lang]`)?.focus();
        } }),
      parent ? h("button", { type: "button", class: "link", "aria-label": `${t("Remove")} · ${node.id}`, text: t("Remove"), onclick: () => {
        parent.children = parent.children.filter((c) => c !== node);
        redraw();
        holder.querySelector(`[data-focus-key="add-${CSS.escape(parent.id)}"]`)?.focus();
      } }) : null);
    return h("li", { "data-node-id": node.id }, h("div", { class: "node" }, idInput, labels, parent ? articleSel : null, controls),
      node.children && node.children.length ? h("ul", {}, node.children.map((c) => nodeView(c, node))) : null);
  }

  function redraw() {
    const restore = keepFocus(holder, () => holder.querySelector("input"));
    mount(holder, h("ul", {}, nodeView(tree, null)));
    restore();
  }

  async function save() {
    error.textContent = "";
    try { await api("PUT", K.tree, { tree }); toast(t("Saved.")); } catch (err) { error.textContent = err.unavailable ? t("Not available yet") : err.message; }
  }
  redraw();
}

// -- handbook ------------------------------------------------------------------------------------
const RUNNING = ["queued", "running"];
const RUN_PROGRESS = { queued: 15, running: 55 };

function runFiles(run) {
  const rows = Array.isArray(run.detail) ? run.detail : [];
  return rows.length ? table(rows, [
    { label: t("File"), render: (r) => r.name },
    { label: t("Status"), render: (r) => h("span", { class: `pill ${r.status === "failed" ? "bad" : "ok"}`, text: label(r.status, "ingestion_status") }) },
    { label: t("Chunks"), render: (r) => r.chunks },
    { label: t("Error"), render: (r) => (r.error ? foreign(r.error) : "—") },
  ]) : null;
}

async function handbookTab(box) {
  const fileInput = h("input", { type: "file", id: "handbook-file", multiple: true, accept: ".md,.txt,.html,.htm,.pdf,.docx", "aria-label": t("Handbook files") });
  const progress = h("div", { id: "ingest-progress" });
  const history = h("div", { id: "ingest-history" });
  const stats = h("div", { id: "knowledge-stats" });
  mount(box, card(t("Upload"), h("div", { class: "row" }, fileInput,
    h("button", { type: "button", class: "primary", id: "upload-handbook", text: t("Upload"), onclick: upload }),
    h("button", { type: "button", class: "secondary", id: "ingest-now", text: t("Ingest now"), onclick: () => start(K.ingest, {}) })), progress),
  h("div", { class: "grid" }, card(t("Handbook"), stats), card(t("Upload history"), history)));

  const loadHistory = () => {
    fill(history, async () => table(rowsOf(await api("GET", K.runs), "runs"), [
      { label: t("Time"), render: (r) => fmtTime(r.started_at) },
      { label: t("Source"), render: (r) => label(r.source, "upload_source") },
      { label: t("Status"), render: (r) => label(r.status, "ingestion_status") },
      { label: t("File"), render: (r) => (Array.isArray(r.detail) ? r.detail.map((d) => d.name).join(", ") : r.files) },
      { label: t("Chunks"), render: (r) => r.chunks },
      { label: t("Error"), render: (r) => (r.error ? foreign(r.error) : "—") },
    ], { empty: t("Nothing here yet.") }));
    fill(stats, async () => {
      const s = await api("GET", K.stats);
      const names = { documents: "Documents", chunks: "Chunks", articles: "Articles", topic_nodes: "Topic nodes", rules: "Rules",
        vectors: "Vectors", embedding_space: "Embedding space", pack: "Pack" };
      return h("dl", { class: "facts-list" }, Object.keys(names).filter((k) => s[k] !== undefined).flatMap((k) => [
        h("dt", { text: t(names[k]) }),
        h("dd", {}, typeof s[k] === "number" ? fmtNumber(s[k]) : h("bdi", { dir: "auto", text: String(s[k] || "—") }))]));
    });
  };

  async function upload() {
    if (!fileInput.files.length) return;
    const form = new FormData();
    for (const file of fileInput.files) form.append("file", file, file.name);
    await start(K.upload, null, form);
  }

  async function start(path, body, form) {
    mount(progress, h("p", { class: "loading", text: t("Loading…") }));
    try {
      const result = form ? await api("POST", path, undefined, { form }) : await api("POST", path, body);
      if (result?.run_id !== undefined) await follow(result.run_id);
    } catch (err) {
      mount(progress, failure(err));
    }
    loadHistory();
  }

  // Ingestion runs as a background job: follow its log row until it leaves queued/running.
  async function follow(runId) {
    for (let i = 0; i < 600; i++) {
      let run;
      try {
        run = rowsOf(await api("GET", K.runs), "runs").find((r) => r.id === runId);
      } catch (err) {
        mount(progress, failure(err));
        return;
      }
      if (!run) return;
      const bar = h("span");
      bar.style.width = `${RUN_PROGRESS[run.status] ?? 100}%`;
      const done = !RUNNING.includes(run.status);
      mount(progress, h("div", { class: "progress", role: "progressbar", "aria-label": t("Indexing"), "aria-valuenow": RUN_PROGRESS[run.status] ?? 100, "aria-valuemin": 0, "aria-valuemax": 100 }, bar),
        h("p", { class: "hint", id: "ingest-status", "data-status": run.status,
          text: `${label(run.status, "ingestion_status")}${done ? ` · ${t("Files")}: ${fmtNumber(run.files)} · ${t("Chunks")}: ${fmtNumber(run.chunks)}` : ""}${run.error ? ` · ${run.error}` : ""}` }),
        done ? runFiles(run) : null);
      if (done) { toast(t("Saved.")); return; }
      await new Promise((r) => setTimeout(r, 800));
    }
  }

  loadHistory();
}

// -- try a question --------------------------------------------------------------------------------
export function answerView(result) {
  const sources = result.sources || [];
  const candidates = result.candidates || [];
  const decision = result.article_tier || {};
  const pct = (v) => (v === null || v === undefined ? "—" : fmtNumber(v, 2));
  return h("div", { class: "try-result", id: "try-result" },
    h("div", { class: "msg bot", dir: result.lang ? dirOf(result.lang) : "auto" }, h("div", { class: "msg-text", id: "try-answer", text: result.response ?? "" })),
    h("p", { class: "row" },
      h("span", { class: "pill", id: "try-source", "data-tier": result.tier ?? result.source ?? "", text: `${t("Tier")}: ${label(result.tier ?? result.source, "source") || "—"}` }),
      result.kind ? h("span", { class: "pill", "data-kind": result.kind, text: `${t("Kind")}: ${label(result.kind, "answer_kind")}` }) : null,
      h("span", { class: "pill", id: "try-article", text: `${t("Article")}: ${result.article_id ?? "—"}` }),
      h("span", { class: "pill", id: "try-confidence", text: `${t("Confidence")}: ${pct(result.confidence)}` }),
      result.lang ? h("span", { class: "pill", text: `${t("Language")}: ${label(result.lang, "language")}` }) : null,
      result.handoff_reason ? h("span", { class: "pill warn", text: `${t("Hand-off reason")}: ${label(result.handoff_reason, "handoff_reason")}` }) : null),
    decision.decision ? h("p", { class: "hint", id: "try-decision",
      text: `${t("Article matcher")}: ${label(decision.decision, "answer_kind")} · ${t("Confidence")} ${pct(decision.confidence)} (≥ ${pct(decision.answer_threshold)})` }) : null,
    candidates.length ? h("div", {}, h("h3", { text: t("Candidates") }), table(candidates, [
      { label: t("Article"), render: (c) => c.article_id }, { label: t("Title"), render: (c) => h("span", { dir: "auto", text: c.title || "" }) },
      { label: t("Score"), render: (c) => fmtNumber(c.score, 3) },
    ])) : null,
    sources.length ? h("div", {}, h("h3", { text: t("Sources") }), table(sources, [
      { label: t("Kind"), render: (x) => label(x.kind, "source") }, { label: t("ID"), render: (x) => h("bdi", { text: String(x.id ?? x.ref ?? "—") }) },
      { label: t("Title"), render: (x) => h("span", { dir: "auto", text: x.title || "" }) }, { label: t("Score"), render: (x) => fmtNumber(x.score, 3) },
    ])) : null);
}

async function tryTab(box) {
  const question = h("input", { id: "try-question", class: "grow", dir: "auto", placeholder: t("Question"), "aria-label": t("Question") });
  const lang = h("select", { id: "try-lang", "aria-label": t("Customer language") }, LANGS.map((l) => h("option", { value: l, text: langName(l) })));
  const out = h("div", { id: "try-output" });
  const form = h("form", { class: "row" }, question, lang, h("button", { type: "submit", class: "primary", id: "try-ask", text: t("Ask") }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!question.value.trim()) return;
    fill(out, async () => answerView(await api("POST", K.try, { text: question.value.trim(), lang: lang.value })));
  });
  lang.addEventListener("change", () => { question.dir = dirOf(lang.value); question.lang = lang.value; });
  mount(box, card(t("Try a question"), form, out));
}

// -- packs -------------------------------------------------------------------------------------
async function packsTab(box) {
  const fileInput = h("input", { type: "file", id: "pack-file", accept: ".json,application/json", "aria-label": t("Pack file (JSON)") });
  const result = h("div", { id: "pack-result", role: "status" });
  const merge = h("input", { type: "checkbox", id: "pack-merge", checked: true });
  mount(box, card(t("Packs"),
    h("div", { class: "row" }, h("button", { type: "button", class: "secondary", id: "export-pack", text: t("Export pack"), onclick: async () => {
      try { await download(K.exportPack, "nura-knowledge.json"); } catch (err) { mount(result, failure(err)); }
    } })),
    h("div", { class: "row" }, fileInput, h("label", { class: "check" }, merge, t("Merge with what is there (otherwise replace)")), h("button", { type: "button", class: "primary", id: "import-pack", text: t("Import pack"), onclick: async () => {
      const file = fileInput.files[0];
      if (!file) return;
      let pack;
      try { pack = JSON.parse(await file.text()); } catch { mount(result, h("p", { class: "error", text: t("The file is not valid JSON.") })); return; }
      fill(result, async () => {
        const answer = await api("POST", `${K.importPack}${merge.checked ? "?merge=true" : ""}`, pack);
        const counts = [["articles", "Articles"], ["rules", "Rules"], ["canned_replies", "Canned replies"]]
          .filter(([k]) => answer && answer[k] !== undefined).map(([k, name]) => `${t(name)}: ${fmtNumber(answer[k])}`);
        return h("p", { class: "ok-text", text: `${t("Imported.")} ${counts.join(" · ")}` });
      });
    } })), result));
}
