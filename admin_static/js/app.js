// The admin shell: login, navigation by role, hash routing, language and direction.
import { api, ApiError, expired, onSessionExpired, session } from "./api.js";
import { $, h, mount, toast } from "./dom.js";
import { applyLanguage, currentLang, setLang, t } from "./i18n.js";

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
const app = $("#app");

function defaultRoute(user) {
  return user && RANK[user.role] >= RANK.agent ? "queue" : "dashboard";
}

function renderLogin(message) {
  if (cleanup) { cleanup(); cleanup = null; }
  const error = h("p", { class: "error", role: "alert", text: message || "" });
  const username = h("input", { name: "username", autocomplete: "username", required: true, id: "login-username" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true, id: "login-password" });
  const form = h("form", { class: "login-card", id: "login-form" },
    h("h1", { text: t("NURA support desk") }),
    h("label", { class: "field" }, h("span", { class: "label", text: t("Username") }), username),
    h("label", { class: "field" }, h("span", { class: "label", text: t("Password") }), password),
    error,
    h("button", { type: "submit", class: "primary", text: t("Sign in") }),
    languageToggle());
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
      const target = location.hash.replace(/^#\/?/, "");
      const route = ROUTES.find((r) => r.name === target);
      location.hash = `#/${route && allowed(route, session.user) ? target : defaultRoute(session.user)}`;
      renderShell();
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401 ? t("Wrong username or password.")
        : err.status === 429 ? t("Too many attempts. Wait a minute and try again.")
        : err.unavailable ? t("Sign-in is not available on this server yet.") : err.message;
    }
  });
  mount(app, h("main", { class: "login-page" }, form));
  username.focus();
}

function languageToggle() {
  const other = currentLang() === "ar" ? "en" : "ar";
  return h("button", { type: "button", class: "link lang-toggle", id: "lang-toggle",
    text: other === "ar" ? "العربية" : "English",
    onclick: () => { setLang(other); session.token ? renderShell() : renderLogin(); } });
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
        const badge = document.getElementById("queue-badge");
        const waiting = (queue.pending || []).length;
        if (badge) { badge.textContent = String(waiting); badge.classList.toggle("hidden", waiting === 0); }
      } catch { /* the next tick tries again; a 401 already sent the page to sign-in */ }
    }, 20000);
  }
  // When the token's lifetime ends, say so at once instead of on the next click.
  const left = session.expiresAt ? session.expiresAt - Date.now() : null;
  if (left !== null) expiryTimer = setTimeout(() => expired(), Math.max(0, Math.min(left, 2 ** 31 - 1)));
}

function renderShell() {
  const user = session.user;
  startBackground(user);
  const nav = h("nav", { class: "sidebar", "aria-label": t("Main") },
    ROUTES.filter((r) => allowed(r, user)).map((r) =>
      h("a", { href: `#/${r.name}`, "data-route": r.name, onclick: () => document.body.classList.remove("nav-open") },
        h("span", { text: t(r.label) }),
        r.name === "queue" ? h("span", { class: "badge hidden", id: "queue-badge", text: "0" }) : null)));
  const header = h("header", { class: "topbar" },
    h("button", { type: "button", class: "menu-toggle secondary", "aria-label": t("Menu"), text: "☰",
      onclick: () => document.body.classList.toggle("nav-open") }),
    h("span", { class: "brand", text: "NURA" }),
    h("span", { class: "spacer" }),
    languageToggle(),
    h("span", { class: "who", id: "current-user" },
      `${user?.display_name || user?.username || ""} · ${t(user?.role || "")}`),
    h("button", { type: "button", class: "secondary", id: "logout", text: t("Sign out"), onclick: logout }));
  const main = h("main", { class: "content", id: "page" });
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
  document.body.classList.remove("nav-open");
  for (const link of document.querySelectorAll(".sidebar a")) link.classList.toggle("active", link.dataset.route === name);
  if (cleanup) { cleanup(); cleanup = null; }
  navigation += 1;
  if (!target) { mount(page, h("h1", { text: t("Not found") })); return; }
  if (!allowed(target, user)) {
    mount(page, h("section", { class: "denied", id: "access-denied" }, h("h1", { text: t("Not permitted") }),
      h("p", { text: t("Your role cannot open this page.") })));
    return;
  }
  const current = ++navigation;
  document.title = `${t(target.label)} · NURA`;
  mount(page, h("p", { class: "loading", text: t("Loading…") }));
  try {
    const module = await import(target.module);
    if (current !== navigation) return;
    const container = h("section", { class: `page page-${target.name}`, id: `page-${target.name}` });
    mount(page, container);
    const stop = (await module.render(container, { user, route: target.name })) || null;
    if (current !== navigation) { if (stop) stop(); return; }
    cleanup = stop;
  } catch (err) {
    if (current !== navigation) return;
    mount(page, h("p", { class: "error", text: err.message || String(err) }));
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
applyLanguage(currentLang());

// A stored token may have expired while the tab was closed: ask the server before trusting it.
if (session.token) {
  api("GET", "/v1/auth/me").then((me) => { session.save(session.token, { ...session.user, ...me }); renderShell(); })
    .catch((err) => { if (err.status !== 401) renderShell(); else renderLogin(); });
} else {
  renderLogin();
}
