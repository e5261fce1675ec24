// The admin shell: login, navigation by role, hash routing, language and direction, and where
// keyboard focus goes when the page changes (to the new page's heading).
import { api, ApiError, expired, onSessionExpired, session } from "./api.js";
import { $, focusTarget, h, mount, toast } from "./dom.js";
import { LANG_NAMES, LANGS, applyLanguage, currentLang, label, setLang, t } from "./i18n.js";
import { setBadge } from "./ui.js";

const RANK = { viewer: 1, agent: 2, admin: 3 };

// name -> page module and the weakest role that may open it (the server enforces the same).
export const ROUTES = [
  { name: "queue", label: "Live queue", role: "agent", module: "./pages/queue.js" },
  { name: "dashboard", label: "Dashboard", role: "viewer", module: "./pages/dashboard.js" },
  { name: "reports", label: "Reports", role: "viewer", module: "./pages/reports.js" },
  { name: "sessions", label: "Sessions", role: "viewer", module: "./pages/sessions.js" },
  { name: "knowledge", label: "Knowledge", role: "admin", module: "./pages/knowledge.js" },
  { name: "gaps", label: "Knowledge gaps", role: "agent", module: "./pages/gaps.js" },
  { name: "canned", label: "Canned replies", role: "agent", module: "./pages/canned.js" },
  { name: "suggestions", label: "Suggestions", role: "agent", module: "./pages/inbox.js" },
  { name: "offline", label: "Contact requests", role: "agent", module: "./pages/inbox.js" },
  { name: "users", label: "Users", role: "admin", module: "./pages/users.js" },
  { name: "settings", label: "Settings", role: "admin", module: "./pages/settings.js" },
  { name: "system", label: "System", role: "admin", module: "./pages/system.js" },
];

export function allowed(route, user) {
  return !!user && (RANK[user.role] || 0) >= RANK[route.role];
}

let cleanup = null;
let navigation = 0;  // pages that finish loading after the user moved on must not draw
let firstPage = true;  // the first page after sign-in or a reload keeps focus where the browser put it
const app = $("#app");

function defaultRoute(user) {
  return user && RANK[user.role] >= RANK.agent ? "queue" : "dashboard";
}

/** The language picker: each language named in itself (marked with its own lang). */
function languagePicker(onChange) {
  const select = h("select", { id: "lang-select", class: "lang-select", "aria-label": t("Interface language") },
    LANGS.map((lang) => h("option", { value: lang, lang, selected: lang === currentLang(), text: LANG_NAMES[lang] })));
  select.addEventListener("change", () => { setLang(select.value); onChange(); });
  return select;
}

function renderLogin(message) {
  if (cleanup) { cleanup(); cleanup = null; }
  document.title = `${t("Sign in")} · NURA`;
  const error = h("p", { class: "error", role: "alert", id: "login-error", text: message || "" });
  const username = h("input", { name: "username", autocomplete: "username", required: true, id: "login-username", dir: "ltr" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true, id: "login-password", dir: "ltr" });
  const form = h("form", { class: "login-card", id: "login-form", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title", text: t("NURA support desk") }),
    h("label", { class: "field" }, h("span", { class: "label", text: t("Username") }), username),
    h("label", { class: "field" }, h("span", { class: "label", text: t("Password") }), password),
    error,
    h("button", { type: "submit", class: "primary", text: t("Sign in") }),
    h("label", { class: "field lang-field" }, h("span", { class: "label", text: t("Interface language") }),
      languagePicker(() => renderLogin(error.textContent))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const result = await api("POST", "/v1/auth/login", { username: username.value.trim(), password: password.value });
      session.save(result.access_token, result.user, result.expires_in);
      try {
        const me = await api("GET", "/v1/auth/me");
        session.save(result.access_token, { ...result.user, ...me });
      } catch { /* the login answer already names the user and role */ }
      const target = location.hash.replace(/^#\/?/, "").split("?")[0];
      const route = ROUTES.find((r) => r.name === target);
      location.hash = `#/${route && allowed(route, session.user) ? location.hash.replace(/^#\/?/, "") : defaultRoute(session.user)}`;
      firstPage = true;
      renderShell();
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401 ? t("Wrong username or password.")
        : err.status === 429 ? t("Too many attempts. Wait a minute and try again.")
        : err.unavailable ? t("Sign-in is not available on this server yet.") : err.message;
      password.focus();
    }
  });
  mount(app, h("main", { class: "login-page", id: "main" }, form));
  username.focus();
}

async function logout() {
  clearInterval(badgeTimer);
  clearTimeout(expiryTimer);
  try { await api("POST", "/v1/auth/logout", {}); } catch { /* the token is dropped either way */ }
  session.clear();
  location.hash = "";
  renderLogin();
}

// Between pages an agent still wants to know that someone is waiting: a light poll keeps the
// menu badge current (the queue page itself updates it live from the stream).
let badgeTimer = null;
let expiryTimer = null;
function startBackground(user) {
  clearInterval(badgeTimer);
  clearTimeout(expiryTimer);
  if (RANK[user?.role] >= RANK.agent) {
    badgeTimer = setInterval(async () => {
      if (!session.token || location.hash.startsWith("#/queue")) return;
      try {
        const queue = await api("GET", "/v1/queue");
        setBadge((queue.pending || []).length);
      } catch { /* the next tick tries again; a 401 already sent the page to sign-in */ }
    }, 20000);
  }
  // When the token's lifetime ends, say so at once instead of on the next click.
  const left = session.expiresAt ? session.expiresAt - Date.now() : null;
  if (left !== null) expiryTimer = setTimeout(() => expired(), Math.max(0, Math.min(left, 2 ** 31 - 1)));
}

function setMenu(open) {
  document.body.classList.toggle("nav-open", open);
  document.querySelector(".menu-toggle")?.setAttribute("aria-expanded", open ? "true" : "false");
}

function renderShell() {
  const user = session.user;
  startBackground(user);
  const nav = h("nav", { class: "sidebar", id: "sidebar", "aria-label": t("Main") },
    h("ul", { class: "nav-list" }, ROUTES.filter((r) => allowed(r, user)).map((r) =>
      h("li", {}, h("a", { href: `#/${r.name}`, "data-route": r.name, onclick: () => setMenu(false) },
        h("span", { text: t(r.label) }),
        r.name === "queue" ? [h("span", { class: "badge hidden", id: "queue-badge", "aria-hidden": "true", text: "0" }),
          h("span", { class: "visually-hidden", id: "queue-badge-text" })] : null)))));
  const who = user?.display_name || user?.username || "";
  const header = h("header", { class: "topbar" },
    h("a", { class: "skip-link", href: "#page", onclick: (e) => { e.preventDefault(); focusTarget($("#page h1") || $("#page")); }, text: t("Skip to content") }),
    h("button", { type: "button", class: "menu-toggle secondary", "aria-label": t("Menu"), "aria-expanded": "false",
      "aria-controls": "sidebar", text: "☰", onclick: () => setMenu(!document.body.classList.contains("nav-open")) }),
    h("span", { class: "brand", text: "NURA" }),
    h("span", { class: "spacer" }),
    languagePicker(() => { applyLanguage(currentLang()); renderShell(); }),
    h("span", { class: "who", id: "current-user" }, h("bdi", { text: who }), ` · ${label(user?.role, "role")}`),
    h("button", { type: "button", class: "secondary", id: "logout", text: t("Sign out"), onclick: logout }));
  const main = h("main", { class: "content", id: "page", tabindex: "-1" });
  mount(app, header, h("div", { class: "layout" }, nav, main));
  route();
}

async function route() {
  if (!session.token) { renderLogin(); return; }
  const user = session.user;
  const name = location.hash.replace(/^#\/?/, "").split("?")[0] || defaultRoute(user);
  const target = ROUTES.find((r) => r.name === name);
  const page = $("#page");
  if (!page) { renderShell(); return; }
  setMenu(false);
  for (const link of document.querySelectorAll(".sidebar a")) {
    const on = link.dataset.route === name;
    link.classList.toggle("active", on);
    if (on) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  if (cleanup) { cleanup(); cleanup = null; }
  navigation += 1;
  const moveFocus = !firstPage;
  firstPage = false;
  if (!target) { mount(page, h("h1", { text: t("Not found") })); return; }
  if (!allowed(target, user)) {
    mount(page, h("section", { class: "denied", id: "access-denied" }, h("h1", { text: t("Not permitted") }),
      h("p", { text: t("Your role cannot open this page.") })));
    if (moveFocus) focusTarget(page.querySelector("h1"));
    return;
  }
  const current = ++navigation;
  document.title = `${t(target.label)} · NURA`;
  mount(page, h("p", { class: "loading", text: t("Loading…") }));
  try {
    const module = await import(target.module);
    if (current !== navigation) return;
    const container = h("section", { class: `page page-${target.name}`, id: `page-${target.name}` });
    // Busy until the page's first data is drawn (render resolves): screen readers wait for it,
    // and so can anything that reads the page (the browser tests' settle()).
    container.setAttribute("aria-busy", "true");
    mount(page, container);
    const rendering = module.render(container, { user, route: target.name });
    // The heading exists once the page's first synchronous part has run: focus it right away, so
    // a keyboard user starts on the new page (not on the link in the menu, or on <body>).
    if (moveFocus) focusTarget(container.querySelector("h1"));
    let stop = null;
    try {
      stop = (await rendering) || null;
    } finally {
      container.removeAttribute("aria-busy");
    }
    if (current !== navigation) { if (stop) stop(); return; }
    cleanup = stop;
  } catch (err) {
    if (current !== navigation) return;
    mount(page, h("p", { class: "error", role: "alert", text: err.message || String(err) }));
    console.error(err);
  }
}

onSessionExpired(() => {
  clearInterval(badgeTimer);
  clearTimeout(expiryTimer);
  toast(t("Your session has ended. Sign in again."), "warn");
  renderLogin(t("Your session has ended. Sign in again."));
});

window.addEventListener("hashchange", () => route());
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.body.classList.contains("nav-open")) {
    setMenu(false);
    document.querySelector(".menu-toggle")?.focus();
  }
});
applyLanguage(currentLang());

// A stored token may have expired while the tab was closed: ask the server before trusting it.
if (session.token) {
  api("GET", "/v1/auth/me").then((me) => { session.save(session.token, { ...session.user, ...me }); renderShell(); })
    .catch((err) => { if (err.status !== 401) renderShell(); else renderLogin(); });
} else {
  renderLogin();
}
