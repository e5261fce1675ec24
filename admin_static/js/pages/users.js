// Users (admin): create, change role or display name, deactivate (revokes tokens), reset password.
import { api } from "../api.js";
import { field, fmtTime, h, modal, mount, table, toast } from "../dom.js";
import { t } from "../i18n.js";
import { card, failure, rowsOf } from "../ui.js";

const ROLES = ["admin", "agent", "viewer"];

export async function render(root, { user: me }) {
  const list = h("div", { id: "users-table" });
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t("Users") }), h("span", { class: "spacer" }),
    h("button", { type: "button", class: "primary", id: "new-user", text: t("New user"), onclick: create })), card(null, list));

  const roleSelect = (value) => h("select", { name: "role" }, ROLES.map((r) => h("option", { value: r, selected: r === value, text: t(r) })));

  async function load() {
    try {
      const users = rowsOf(await api("GET", "/v1/users"), "users");
      mount(list, table(users, [
        { label: t("Username"), render: (u) => u.username },
        { label: t("Display name"), render: (u) => u.display_name },
        { label: t("Role"), render: (u) => t(u.role) },
        { label: t("Status"), render: (u) => h("span", { class: `pill ${u.active ? "ok" : "bad"}`, text: u.active ? t("Active") : t("Disabled") }) },
        { label: t("Time"), render: (u) => fmtTime(u.last_login_at) },
        { label: "", render: (u) => h("span", { class: "row", "data-user": u.username },
          h("button", { type: "button", class: "link", "data-action": "edit", text: t("Edit"), onclick: () => edit(u) }),
          u.username === me.username ? null : h("button", { type: "button", class: "link", "data-action": "toggle",
            text: u.active ? t("Deactivate") : t("Activate"), onclick: () => toggle(u) }),
          h("button", { type: "button", class: "link", "data-action": "password", text: t("Reset password"), onclick: () => reset(u) })) },
      ]));
    } catch (err) {
      mount(list, failure(err));
    }
  }

  async function create() {
    const body = h("div", {},
      field(t("Username"), h("input", { name: "username", required: true, maxlength: 64, id: "new-username", autocomplete: "off" })),
      field(t("Display name"), h("input", { name: "display_name", maxlength: 100, id: "new-display-name" })),
      field(t("Role"), roleSelect("agent")),
      field(t("Password"), h("input", { name: "password", type: "password", id: "new-password", autocomplete: "new-password" }), "12+"));
    const result = await modal(t("New user"), body, { submitLabel: t("Create"), cancelLabel: t("Cancel"),
      onSubmit: (data) => api("POST", "/v1/users", { username: data.get("username").trim(), role: data.get("role"),
        display_name: data.get("display_name").trim() || null, password: data.get("password") || null }) });
    if (result) {
      // A generated password is shown once, as text, for the admin to hand over.
      if (result.generated_password) await modal(t("Password"), h("code", { class: "generated-password", text: result.generated_password }), { cancelLabel: t("Cancel") });
      toast(t("Saved."));
      load();
    }
  }

  async function edit(u) {
    const name = h("input", { name: "display_name", maxlength: 100, value: u.display_name || "" });
    const done = await modal(`${t("Edit")}: ${u.username}`, h("div", {}, field(t("Display name"), name), field(t("Role"), roleSelect(u.role))), {
      submitLabel: t("Save"), cancelLabel: t("Cancel"),
      onSubmit: (data) => api("PATCH", `/v1/users/${encodeURIComponent(u.username)}`, { role: data.get("role"), display_name: data.get("display_name").trim() || null }),
    });
    if (done) { toast(t("Saved.")); load(); }
  }

  async function toggle(u) {
    try { await api("PATCH", `/v1/users/${encodeURIComponent(u.username)}`, { active: !u.active }); load(); } catch (err) { toast(err.message, "error"); }
  }

  async function reset(u) {
    const done = await modal(`${t("Reset password")}: ${u.username}`,
      field(t("New password"), h("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password" })), {
        submitLabel: t("Save"), cancelLabel: t("Cancel"),
        onSubmit: (data) => api("POST", `/v1/users/${encodeURIComponent(u.username)}/password`, { password: data.get("password") }),
      });
    if (done) toast(t("Saved."));
  }

  await load();
}
