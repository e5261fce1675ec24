// Canned replies: agents search and read them; admins create, edit and delete.
import { api, qs } from "../api.js";
import { debounce, dirOf, field, h, keepFocus, modal, mount, table, toast } from "../dom.js";
import { langName, LANGS, t, tf } from "../i18n.js";
import { card, failure, rowsOf } from "../ui.js";

export async function render(root, { user }) {
  const isAdmin = user.role === "admin";
  const lang = h("select", { id: "canned-filter-lang", "aria-label": t("Language") },
    ["", ...LANGS].map((l) => h("option", { value: l, text: l ? langName(l) : `${t("Language")}: ${t("All")}` })));
  const search = h("input", { type: "search", id: "canned-filter-q", placeholder: t("Search"), "aria-label": t("Search canned replies") });
  const list = h("div", { id: "canned-table" });
  mount(root,
    h("div", { class: "page-header" }, h("h1", { text: t("Canned replies") }), h("span", { class: "spacer" }),
      isAdmin ? h("button", { type: "button", class: "primary", id: "new-canned", text: t("Create"), onclick: () => edit(null) }) : null),
    h("div", { class: "filters" }, lang, search), card(null, list));

  async function load() {
    try {
      const rows = rowsOf(await api("GET", `/v1/canned-replies${qs({ lang: lang.value, q: search.value.trim() })}`), "replies", "canned_replies");
      const restore = keepFocus(list, () => search);
      mount(list, table(rows, [
        { label: t("Title"), render: (r) => h("span", { dir: dirOf(r.lang), lang: r.lang || null, text: r.title || "" }) },
        { label: t("Language"), render: (r) => langName(r.lang) },
        { label: t("Text"), render: (r) => h("span", { dir: dirOf(r.lang), lang: r.lang || null, class: "pre", text: r.text || "" }) },
        isAdmin ? { label: t("Actions"), render: (r) => h("span", { class: "row" },
          h("button", { type: "button", class: "link", "data-focus-key": `edit-${r.id}`, text: t("Edit"),
            "aria-label": `${t("Edit")}: ${r.title || r.id}`, onclick: () => edit(r) }),
          h("button", { type: "button", class: "link", text: t("Delete"), "aria-label": `${t("Delete")}: ${r.title || r.id}`,
            onclick: () => remove(r) })) } : null,
      ].filter(Boolean), { empty: t("Nothing here yet.") }));
      restore();
    } catch (err) {
      mount(list, failure(err));
    }
  }

  async function edit(reply) {
    const langSel = h("select", { name: "lang" }, LANGS.map((l) => h("option", { value: l, selected: reply?.lang === l, text: langName(l) })));
    const title = h("input", { name: "title", required: true, maxlength: 120, value: reply?.title || "" });
    const text = h("textarea", { name: "text", required: true, maxlength: 4000 });
    text.value = reply?.text || "";
    const sync = () => { title.dir = text.dir = dirOf(langSel.value); title.lang = text.lang = langSel.value; };
    langSel.addEventListener("change", sync);
    sync();
    const saved = await modal(reply ? t("Edit") : t("Create"),
      h("div", {}, field(t("Language"), langSel), field(t("Title"), title), field(t("Text"), text, `${t("Placeholders")}: {customer_name} {agent_name} {company_name}`)),
      { submitLabel: t("Save"), cancelLabel: t("Cancel"),
        onSubmit: (data) => {
          const payload = { lang: data.get("lang"), title: data.get("title").trim(), text: data.get("text").trim() };
          return reply ? api("PATCH", `/v1/canned-replies/${encodeURIComponent(reply.id)}`, payload) : api("POST", "/v1/canned-replies", payload);
        } });
    if (saved) { toast(t("Saved.")); load(); }
  }

  async function remove(reply) {
    if (!confirm(tf("Delete {name}?", { name: reply.title }))) return;
    try { await api("DELETE", `/v1/canned-replies/${encodeURIComponent(reply.id)}`); toast(t("Deleted.")); await load(); search.focus(); } catch (err) { toast(err.message, "error"); }
  }

  const reload = debounce(load, 250);
  lang.addEventListener("change", load);
  search.addEventListener("input", reload);
  await load();
}
