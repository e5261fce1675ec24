// Suggestions/complaints and offline contact requests: two inboxes with the same shape
// (a list with a status filter; agents change the status and leave a note).
import { api, qs } from "../api.js";
import { field, fmtTime, h, modal, mount, table, toast } from "../dom.js";
import { t } from "../i18n.js";
import { card, failure, rowsOf } from "../ui.js";

const KINDS = {
  suggestions: { path: "/v1/suggestions", title: "Suggestions", keys: ["suggestions"], statuses: ["new", "reviewed", "closed"],
    columns: [["Kind", (r) => r.kind], ["Text", (r) => h("span", { dir: "auto", text: r.text || "" })], ["Contact", (r) => r.contact]] },
  offline: { path: "/v1/offline-requests", title: "Contact requests", keys: ["offline_requests", "requests"], statuses: ["open", "contacted", "closed"],
    columns: [["Name", (r) => h("span", { dir: "auto", text: r.name || "" })], ["Phone", (r) => r.phone],
      ["Description", (r) => h("span", { dir: "auto", text: r.description || "" })]] },
};

export async function render(root, { route }) {
  const kind = KINDS[route];
  const status = h("select", { id: "inbox-status", "aria-label": t("Status") },
    ["", ...kind.statuses].map((s) => h("option", { value: s, text: s || `${t("Status")}: ${t("All")}` })));
  const list = h("div", { id: "inbox-table" });
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t(kind.title) }), h("span", { class: "spacer" }), status), card(null, list));

  async function load() {
    try {
      const rows = rowsOf(await api("GET", `${kind.path}${qs({ status: status.value, limit: 200 })}`), ...kind.keys);
      mount(list, table(rows, [
        { label: t("Time"), render: (r) => fmtTime(r.created_at) },
        ...kind.columns.map(([label, render]) => ({ label: t(label), render })),
        { label: t("Language"), render: (r) => (r.lang || "").toUpperCase() },
        { label: t("Status"), render: (r) => h("span", { class: "pill", text: r.status || "" }) },
        { label: "", render: (r) => h("button", { type: "button", class: "link", text: t("Edit"), onclick: () => update(r) }) },
      ], { empty: t("Nothing here yet.") }));
    } catch (err) {
      mount(list, failure(err));
    }
  }

  async function update(row) {
    const sel = h("select", { name: "status" }, kind.statuses.map((s) => h("option", { value: s, selected: s === row.status, text: s })));
    const note = h("textarea", { name: "note", maxlength: 4000 });
    note.value = row.note || "";
    const done = await modal(t("Edit"), h("div", {}, field(t("Status"), sel), field(t("Reply"), note)), {
      submitLabel: t("Save"), cancelLabel: t("Cancel"),
      onSubmit: (data) => api("PATCH", `${kind.path}/${encodeURIComponent(row.id)}`, { status: data.get("status"), note: data.get("note") || null }),
    });
    if (done) { toast(t("Saved.")); load(); }
  }

  status.addEventListener("change", load);
  await load();
}
