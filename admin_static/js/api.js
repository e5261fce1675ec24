// The admin's only door to the server. The access token lives in sessionStorage (gone when the
// tab closes) and is sent in the Authorization header, never in a URL.

const TOKEN_KEY = "nura.admin.token";
const USER_KEY = "nura.admin.user";
const EXPIRES_KEY = "nura.admin.expires";

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code || "http_error";
    this.details = details;
  }
  /** True when the server has no such endpoint (a feature not installed on this server yet). */
  get unavailable() {
    return this.status === 404 && ["not_found", "route_not_found", "http_error"].includes(this.code)
      || this.status === 405 || this.status === 501 || this.code === "feature_unavailable";
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get user() {
    try { return JSON.parse(sessionStorage.getItem(USER_KEY) || "null"); } catch { return null; }
  },
  /** When the token stops working (ms since the epoch), or null when the server did not say. */
  get expiresAt() { return Number(sessionStorage.getItem(EXPIRES_KEY)) || null; },
  save(token, user, expiresInSeconds) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
    if (expiresInSeconds) sessionStorage.setItem(EXPIRES_KEY, String(Date.now() + expiresInSeconds * 1000));
  },
  clear() { for (const key of [TOKEN_KEY, USER_KEY, EXPIRES_KEY]) sessionStorage.removeItem(key); },
};

const expiryListeners = new Set();
/** Called when the server says the token is no longer valid (expired, revoked, user deactivated). */
export function onSessionExpired(listener) { expiryListeners.add(listener); }

export function expired() {
  if (!session.token) return;
  session.clear();
  for (const listener of expiryListeners) listener();
}

function headers(extra = {}) {
  const out = { Accept: "application/json", ...extra };
  if (session.token) out.Authorization = `Bearer ${session.token}`;
  return out;
}

async function errorFrom(resp) {
  let code = "http_error";
  let message = `${resp.status} ${resp.statusText}`;
  let details;
  try {
    const body = await resp.json();
    if (body && body.error) { code = body.error.code || code; message = body.error.message || message; details = body.error.details; }
  } catch { /* not JSON: keep the status line */ }
  return new ApiError(resp.status, code, message, details);
}

/** Call the API; returns parsed JSON (or null for empty bodies). Throws ApiError. */
export async function api(method, path, body, { form } = {}) {
  const init = { method, headers: headers(), credentials: "same-origin" };
  if (form) init.body = form;
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  let resp;
  try { resp = await fetch(path, init); } catch (err) { throw new ApiError(0, "network", "The server cannot be reached."); }
  if (resp.status === 401 && !path.startsWith("/v1/auth/login")) { expired(); }
  if (!resp.ok) throw await errorFrom(resp);
  const text = await resp.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return text; }
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});
export const patch = (path, body) => api("PATCH", path, body);
export const put = (path, body) => api("PUT", path, body);
export const del = (path) => api("DELETE", path);

/** Build a query string from an object, skipping empty values. */
export function qs(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** A file that needs the token (attachments, exports) as a Blob. */
export async function fetchBlob(path) {
  const resp = await fetch(path, { headers: headers({ Accept: "*/*" }) });
  if (resp.status === 401) expired();
  if (!resp.ok) throw await errorFrom(resp);
  return resp.blob();
}

/** Download a file that needs the token (CSV exports): fetch it, then save the blob. */
export async function download(path, filename) {
  const blob = await fetchBlob(path);
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return blob;
}

/**
 * Follow a server-sent event stream with fetch() so the Authorization header can be sent
 * (EventSource cannot set headers). Reconnects with Last-Event-ID after a drop.
 * Returns {close()}. onEvent(type, data, id); onState("open"|"retry"|"closed").
 */
export function openStream(path, { onEvent, onState } = {}) {
  let lastId = null;
  let stopped = false;
  let controller = null;
  let delay = 1000;

  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const extra = { Accept: "text/event-stream" };
        if (lastId !== null) extra["Last-Event-ID"] = lastId;
        const resp = await fetch(path, { headers: headers(extra), signal: controller.signal, cache: "no-store" });
        if (resp.status === 401) { expired(); return; }
        if (!resp.ok || !resp.body) throw await errorFrom(resp);
        delay = 1000;
        onState?.("open");
        await readEvents(resp.body, (type, data, id) => {
          if (id !== null) lastId = id;
          onEvent?.(type, data, id);
        });
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiError && err.unavailable) { onState?.("unavailable"); return; }
      }
      if (stopped) return;
      onState?.("retry");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }

  connect();
  return {
    close() { stopped = true; controller?.abort(); onState?.("closed"); },
  };
}

async function readEvents(body, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let type = "message";
      let id = null;
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;  // comments are keep-alive pings
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (name === "event") type = val;
        else if (name === "data") data.push(val);
        else if (name === "id") id = val;
      }
      if (!data.length) continue;
      let parsed = data.join("\n");
      try { parsed = JSON.parse(parsed); } catch { /* plain text event */ }
      dispatch(type, parsed, id);
    }
  }
}
