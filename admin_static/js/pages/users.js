// Users (admin): create with the display name customers will see, change role or display name,
// deactivate (revokes tokens), reset password. An account without a display name is flagged:
// customers then read a generic "customer service" instead of a name (never the username).
import { api } from "../api.js";
import { field, fmtTime, h, keepFocus, modal, mount, table, toast } from "../dom.js";
import { label, t, tf } from "../i18n.js";
import { card, failure, rowsOf } from "../ui.js";

const ROLES = ["admin", "agent", "viewer"];

export async function render(root, { user: me }) {
  const list = h("div", { id: "users-table" });
  const newButton = h("button", { type: "button", class: "primary", id: "new-user", text: t("New user"), onclick: create });
  mount(root, h("div", { class: "page-header" }, h("h1", { text: t("Users") }), h("span", { class: "spacer" }), newButton),
    card(null, list));

  const roleSelect = (value) => h("select", { name: "role" }, ROLES.map((r) => h("option", { value: r, selected: r === value, text: label(r, "role") })));

  async function load() {
    try {
      const users = rowsOf(await api("GET", "/v1/users"), "users");
      const restore = keepFocus(list, () => newButton);
      mount(list, table(users, [
        { label: t("Display name"), render: (u) => u.display_name_set === false
          ? h("span", { class: "missing", "data-missing-name": u.username }, h("span", { class: "pill warn", text: t("No display name") }),
            " ", h("small", { class: "hint", text: t("customers see “customer service”") }))
          : h("bdi", { text: u.display_name }) },
        { label: t("Username"), render: (u) => h("bdi", { dir: "ltr", text: u.username }) },
        { label: t("Role"), render: (u) => label(u.role, "role") },
        { label: t("Status"), render: (u) => h("span", { class: `pill ${u.active ? "ok" : "bad"}`, text: u.active ? t("Active") : t("Disabled") }) },
        { label: t("Last sign-in"), render: (u) => fmtTime(u.last_login_at) },
        { label: t("Actions"), render: (u) => h("span", { class: "row", "data-user": u.username },
          h("button", { type: "button", class: "link", "data-action": "edit", "data-focus-key": `edit-${u.username}`, text: t("Edit"),
            "aria-label": `${t("Edit")}: ${u.username}`, onclick: () => edit(u) }),
          u.username === me.username ? null : h("button", { type: "button", class: "link", "data-action": "toggle",
            "data-focus-key": `toggle-${u.username}`, "aria-label": `${u.active ? t("Deactivate") : t("Activate")}: ${u.username}`,
            text: u.active ? t("Deactivate") : t("Activate"), onclick: () => toggle(u) }),
          h("button", { type: "button", class: "link", "data-action": "password", "aria-label": `${t("Reset password")}: ${u.username}`,
            text: t("Reset password"), onclick: () => reset(u) })) },
      ]));
      restore();
    } catch (err) {
      mount(list, failure(err));
    }
  }

  async function create() {
    const role = roleSelect("agent");
    const nameInput = h("input", { name: "display_name", maxlength: 100, id: "new-display-name", required: true, dir: "auto", autocomplete: "off" });
    const body = h("div", {},
      field(t("Display name"), nameInput, t("Shown to customers in the chat, e.g. “Layla”.")),
      field(t("Username"), h("input", { name: "username", required: true, maxlength: 64, id: "new-username", autocomplete: "off", dir: "ltr" }),
        t("For signing in; customers never see it.")),
      field(t("Role"), role),
      field(t("Password"), h("input", { name: "password", type: "password", id: "new-password", autocomplete: "new-password", dir: "ltr" }),
        t("At least 12 characters; leave empty to generate one.")));
    // Viewers never chat with customers: their display name is optional.
    role.addEventListener("change", () => { nameInput.required = role.value !== "viewer"; });
    const result = await modal(t("New user"), body, { submitLabel: t("Create"), cancelLabel: t("Cancel"),
      onSubmit: (data) => api("POST", "/v1/users", { username: data.get("username").trim(), role: data.get("role"),
        display_name: data.get("display_name").trim() || null, password: data.get("password") || null }) });
    if (result) {
      // A generated password is shown once, as text, for the admin to hand over.
      if (result.generated_password) {
        await modal(t("Password"), h("div", {}, h("p", { text: tf("The password of {name}, shown only now:", { name: result.username }) }),
          h("code", { class: "generated-password", dir: "ltr", text: result.generated_password })),
        { cancelLabel: t("Close"), submit: false, returnFocus: () => newButton });
      }
      toast(t("Saved."));
      await load();
    }
  }

  async function edit(u) {
    const name = h("input", { name: "display_name", maxlength: 100, value: u.display_name_set === false ? "" : u.display_name || "", dir: "auto",
      required: u.role !== "viewer" });
    const role = roleSelect(u.role);
    role.addEventListener("change", () => { name.required = role.value !== "viewer"; });
    const done = await modal(tf("Edit {name}", { name: u.username }), h("div", {},
      field(t("Display name"), name, t("Shown to customers in the chat.")), field(t("Role"), role)), {
      submitLabel: t("Save"), cancelLabel: t("Cancel"),
      onSubmit: (data) => api("PATCH", `/v1/users/${encodeURIComponent(u.username)}`, { role: data.get("role"), display_name: data.get("display_name").trim() || null }),
    });
    if (done) { toast(t("Saved.")); await load(); }
  }

  async function toggle(u) {
    try { await api("PATCH", `/v1/users/${encodeURIComponent(u.username)}`, { active: !u.active }); await load(); } catch (err) { toast(err.message, "error"); }
  }

  async function reset(u) {
    const done = await modal(tf("Reset the password of {name}", { name: u.username }),
      field(t("New password"), h("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password", dir: "ltr" })), {
        submitLabel: t("Save"), cancelLabel: t("Cancel"),
        onSubmit: (data) => api("POST", `/v1/users/${encodeURIComponent(u.username)}/password`, { password: data.get("password") }),
      });
    if (done) toast(t("Saved."));
  }

  await load();
}
