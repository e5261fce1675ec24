// Live queue: pending and active hand-offs kept current over the agents' SSE stream, one
// conversation open at a time with reply box, canned replies, typing and the outcome modal.
import { api, openStream, qs, session } from "../api.js";
import { debounce, dirOf, field, fmtDuration, h, modal, mount, toast } from "../dom.js";
import { label, t } from "../i18n.js";
import { messageBubble } from "../messages.js";
import { failure, rowsOf } from "../ui.js";

export const OUTCOME_STATUSES = ["solved", "unsolved", "escalated", "follow_up", "no_response", "duplicate", "spam"];
const ISSUE_CATEGORIES = ["billing", "network", "device", "account", "sim", "roaming", "internet", "other"];

const idOf = (s) => s.session_id || s.id;
const listOf = (body, key) => rowsOf(body, key, "canned_replies");

export async function render(root, { user }) {
  const state = { pending: [], active: [], selected: null, detail: null, unread: new Map(), seen: new Set(),
    soundOn: localStorage.getItem("nura.admin.sound") === "1", typingTimer: null, lastTypingSent: 0 };

  const streamState = h("span", { class: "stream-state", id: "stream-state", text: t("Reconnecting…") });
  const hours = h("span", { class: "pill hidden", id: "business-hours" });
  const sound = h("input", { type: "checkbox", id: "sound-toggle", checked: state.soundOn,
    onchange: () => { state.soundOn = sound.checked; localStorage.setItem("nura.admin.sound", sound.checked ? "1" : "0"); } });
  const pendingList = h("ul", { class: "queue-list", id: "pending-list" });
  const activeList = h("ul", { class: "queue-list", id: "active-list" });
  const pendingCount = h("span", { class: "pill", id: "pending-count", text: "0" });
  const activeCount = h("span", { class: "pill", id: "active-count", text: "0" });
  const pane = h("div", { class: "conversation", id: "conversation" },
    h("div", { class: "placeholder", text: t("Select a conversation") }));
  const notice = h("div");

  mount(root,
    h("div", { class: "page-header" }, h("h1", { text: t("Live queue") }), streamState, hours,
      h("label", { class: "row" }, sound, t("Sound"))),
    notice,
    h("div", { class: "queue-layout" },
      h("div", { class: "queue-columns" },
        h("section", { class: "queue-column" }, h("h2", {}, t("Pending"), pendingCount), pendingList),
        h("section", { class: "queue-column" }, h("h2", {}, t("Active"), activeCount), activeList)),
      pane));

  function beep() {
    if (!state.soundOn) return;
    try {
      const audio = new AudioContext();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.08;
      osc.connect(gain).connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.18);
      osc.onended = () => audio.close();
    } catch { /* no audio device: the badge still shows */ }
  }

  function updateBadge() {
    const badge = document.getElementById("queue-badge");
    if (!badge) return;
    let unread = 0;
    for (const n of state.unread.values()) unread += n;
    const count = state.pending.length + unread;
    badge.textContent = String(count);
    badge.classList.toggle("hidden", count === 0);
  }

  function queueItem(s) {
    const sid = idOf(s);
    const unread = state.unread.get(sid) || 0;
    return h("li", { class: `queue-item${state.selected === sid ? " selected" : ""}${s.stale ? " stale" : ""}`, tabindex: 0,
      "data-session-id": sid, onclick: () => select(sid),
      onkeydown: (e) => { if (e.key === "Enter") select(sid); } },
      h("div", { class: "row" }, h("strong", { class: "grow", text: s.customer_id || sid.slice(0, 8) }),
        unread ? h("span", { class: "unread", text: String(unread) }) : null),
      h("div", { class: "preview", dir: "auto", text: s.last_customer_message || "" }),
      h("div", { class: "meta" },
        h("span", { "data-reason": s.handoff_reason || "", text: label(s.handoff_reason) }),
        h("span", { text: (s.lang || "").toUpperCase() }),
        h("span", { text: s.channel || "" }),
        s.assigned_agent ? h("span", { text: `→ ${s.assigned_agent}` }) : null,
        s.waiting_s !== null && s.waiting_s !== undefined ? h("span", { text: fmtDuration(s.waiting_s) }) : null));
  }

  function renderLists() {
    mount(pendingList, state.pending.length ? state.pending.map(queueItem) : h("li", { class: "empty", text: t("No conversations waiting.") }));
    mount(activeList, state.active.length ? state.active.map(queueItem) : h("li", { class: "empty", text: t("No active conversations.") }));
    pendingCount.textContent = String(state.pending.length);
    activeCount.textContent = String(state.active.length);
    updateBadge();
  }

  async function loadQueue() {
    try {
      const body = await api("GET", "/v1/queue");
      const before = new Set(state.pending.map(idOf));
      state.pending = listOf(body, "pending");
      state.active = listOf(body, "active");
      notice.replaceChildren();
      if (typeof body.business_open === "boolean") {
        hours.textContent = body.business_open ? t("Open now") : t("Closed now");
        hours.className = `pill ${body.business_open ? "ok" : "warn"}`;
      }
      renderLists();
      if (state.seen.size && state.pending.some((s) => !before.has(idOf(s)))) beep();
      for (const s of [...state.pending, ...state.active]) state.seen.add(idOf(s));
      if (state.selected) refreshHeader();
    } catch (err) {
      notice.replaceChildren(failure(err));
    }
  }
  const reloadQueue = debounce(loadQueue, 150);

  // -- conversation pane -------------------------------------------------------------------
  const refs = {};

  function current() {
    return [...state.pending, ...state.active].find((s) => idOf(s) === state.selected) || state.detail?.session;
  }

  async function select(sid) {
    state.selected = sid;
    state.unread.delete(sid);
    renderLists();
    mount(pane, h("p", { class: "loading", text: t("Loading…") }));
    try {
      state.detail = await api("GET", `/v1/sessions/${encodeURIComponent(sid)}`);
    } catch (err) {
      mount(pane, failure(err));
      return;
    }
    if (state.selected !== sid) return;
    renderPane();
  }

  function renderPane() {
    const s = current();
    const lang = s?.lang || "ar";
    refs.head = h("div", { class: "conv-head", id: "conv-head" });
    refs.messages = h("div", { class: "messages", id: "messages", "aria-live": "polite" });
    // Stay at the newest message while the agent has not scrolled up, also when the composer
    // grows or shrinks (canned list, typing line) and the message area changes height.
    refs.pinned = true;
    refs.messages.addEventListener("scroll", () => {
      const m = refs.messages;
      refs.pinned = m.scrollTop + m.clientHeight >= m.scrollHeight - 30;
    });
    refs.resize?.disconnect();
    refs.resize = new ResizeObserver(() => { if (refs.pinned) refs.messages.scrollTop = refs.messages.scrollHeight; });
    refs.resize.observe(refs.messages);
    refs.typing = h("div", { class: "typing", id: "typing-indicator" });
    refs.input = h("textarea", { id: "reply-text", placeholder: t("Type a reply…"), dir: dirOf(lang), rows: 2,
      oninput: sendTyping,
      onkeydown: (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendReply(); } } });
    refs.canned = cannedPicker(lang, (text) => { refs.input.value = text; refs.input.focus(); });
    refs.composer = h("div", { class: "composer" }, refs.canned,
      h("div", { class: "row" }, h("div", { class: "grow" }, refs.input),
        h("button", { type: "button", class: "primary", id: "send-reply", text: t("Send"), onclick: sendReply })));
    mount(pane, refs.head, refs.messages, refs.typing, refs.composer);
    for (const m of state.detail.messages || []) appendMessage(m);
    refreshHeader();
  }

  function refreshHeader() {
    const s = current();
    if (!s || !refs.head) return;
    const mine = s.status === "human_active" && s.assigned_agent === user.username;
    const pending = s.status === "pending_handoff";
    const sid = idOf(s);
    mount(refs.head,
      h("div", { class: "facts grow" },
        h("span", {}, `${t("Customer")}: `, h("b", { id: "conv-customer", text: s.customer_id || "—" })),
        h("span", {}, `${t("Hand-off reason")}: `, h("b", { id: "conv-reason", "data-reason": s.handoff_reason || "", text: label(s.handoff_reason) || "—" })),
        h("span", {}, `${t("Language")}: `, h("b", { id: "conv-lang", text: (s.lang || "—").toUpperCase() })),
        h("span", {}, `${t("Channel")}: `, h("b", { text: s.channel || "—" })),
        h("span", {}, `${t("Status")}: `, h("b", { id: "conv-status", "data-status": s.status || "", text: label(s.status) || "—" })),
        s.assigned_agent ? h("span", {}, `${t("Assigned to")}: `, h("b", { text: s.assigned_agent })) : null),
      h("div", { class: "row" },
        pending ? h("button", { type: "button", class: "primary", id: "accept", text: t("Accept"), onclick: () => act(sid, "accept") }) : null,
        mine ? h("button", { type: "button", class: "secondary", id: "transfer", text: t("Transfer"), onclick: () => transfer(sid) }) : null,
        mine ? h("button", { type: "button", class: "secondary", id: "release", text: t("Release"), onclick: () => act(sid, "release") }) : null,
        mine || (user.role === "admin" && s.status === "human_active")
          ? h("button", { type: "button", class: "primary", id: "resolve", text: t("Resolve"), onclick: () => resolve(sid) }) : null));
    if (refs.composer) refs.composer.classList.toggle("hidden", !mine);
  }

  function appendMessage(message) {
    if (!refs.messages) return;
    if (message.id !== undefined && message.id !== null
        && refs.messages.querySelector(`[data-message-id="${CSS.escape(String(message.id))}"]`)) return;
    refs.messages.append(messageBubble(message));
    if (refs.pinned || message.role === "agent") refs.messages.scrollTop = refs.messages.scrollHeight;
  }

  async function act(sid, action) {
    try {
      await api("POST", `/v1/handoff/${encodeURIComponent(sid)}/${action}`, {});
      toast(t(action === "accept" ? "Accepted." : "Released."));
      await loadQueue();
      await select(sid);
    } catch (err) {
      toast(err.message, "error");
      await loadQueue();
    }
  }

  async function transfer(sid) {
    const agent = h("input", { name: "agent", required: true, id: "transfer-agent" });
    const done = await modal(t("Transfer to agent"), field(t("Agent username"), agent), {
      submitLabel: t("Transfer"), cancelLabel: t("Cancel"),
      onSubmit: (data) => api("POST", `/v1/handoff/${encodeURIComponent(sid)}/transfer`, { agent: data.get("agent").trim() }),
    });
    if (done) { toast(t("Transferred.")); await loadQueue(); await select(sid); }
  }

  async function resolve(sid) {
    const status = h("select", { name: "status", id: "outcome-status" },
      OUTCOME_STATUSES.map((s) => h("option", { value: s, text: label(s) })));
    const category = h("input", { name: "issue_category", id: "outcome-category", list: "issue-categories", maxlength: 100 });
    const cause = h("input", { name: "root_cause", id: "outcome-cause", maxlength: 200 });
    const notes = h("textarea", { name: "resolution_notes", id: "outcome-notes", maxlength: 4000 });
    const body = h("div", {},
      field(t("Outcome"), status), field(t("Issue category"), category),
      h("datalist", { id: "issue-categories" }, ISSUE_CATEGORIES.map((c) => h("option", { value: c }))),
      field(t("Root cause"), cause), field(t("Resolution notes"), notes));
    const done = await modal(t("Resolve"), body, {
      submitLabel: t("Resolve"), cancelLabel: t("Cancel"),
      onSubmit: (data) => api("POST", `/v1/handoff/${encodeURIComponent(sid)}/resolve`, {
        status: data.get("status"), issue_category: data.get("issue_category") || null,
        root_cause: data.get("root_cause") || null, resolution_notes: data.get("resolution_notes") || null,
        resolved_by: user.username,
      }),
    });
    if (done) {
      toast(t("Resolved."));
      state.selected = null; state.detail = null;
      mount(pane, h("div", { class: "placeholder", text: t("Select a conversation") }));
      await loadQueue();
    }
  }

  async function sendReply() {
    const text = refs.input.value.trim();
    if (!text || !state.selected) return;
    const sid = state.selected;
    refs.input.disabled = true;
    try {
      const result = await api("POST", `/v1/session/${encodeURIComponent(sid)}/agent-message`,
        { message: text, agent_name: user.display_name || user.username });
      refs.input.value = "";
      const message = result?.message || (result?.id ? result : null);
      if (message) appendMessage(message);
    } catch (err) {
      toast(err.message, "error");
    } finally {
      refs.input.disabled = false;
      refs.input.focus();
    }
  }

  function sendTyping() {
    const now = Date.now();
    if (!state.selected || now - state.lastTypingSent < 2500) return;
    state.lastTypingSent = now;
    api("POST", `/v1/session/${encodeURIComponent(state.selected)}/typing`, { sender: "agent", text: refs.input.value.slice(0, 200) })
      .catch(() => { /* typing is a courtesy; never interrupt the agent over it */ });
  }

  function cannedPicker(lang, onPick) {
    const search = h("input", { type: "search", id: "canned-search", placeholder: t("Search canned replies"), class: "grow" });
    const langSel = h("select", { id: "canned-lang", "aria-label": t("Language") },
      ["ar", "ku", "en"].map((l) => h("option", { value: l, selected: l === lang, text: l.toUpperCase() })));
    const list = h("ul", { class: "canned-list hidden", id: "canned-list" });
    const load = debounce(async () => {
      try {
        // With the session id the server fills {customer_name}, {agent_name} and {company_name}.
        const body = await api("GET", `/v1/canned-replies${qs({ lang: langSel.value, q: search.value.trim(), session_id: state.selected })}`);
        const replies = listOf(body, "replies");
        mount(list, replies.length ? replies.map((r) =>
          h("li", { dir: dirOf(r.lang || langSel.value), title: r.rendered || r.text,
            onclick: () => { onPick(r.rendered || r.text); list.classList.add("hidden"); } },
            h("strong", { text: r.title || "" }), r.title ? " — " : "", r.rendered || r.text))
          : h("li", { class: "empty", text: t("Nothing here yet.") }));
      } catch (err) {
        mount(list, h("li", {}, failure(err)));
      }
      list.classList.remove("hidden");
    }, 200);
    search.addEventListener("focus", load);
    search.addEventListener("keydown", (e) => { if (e.key === "Escape") list.classList.add("hidden"); });
    // Close the list when the agent clicks anywhere else.
    refs.cannedAbort?.abort();
    refs.cannedAbort = new AbortController();
    document.addEventListener("click", (e) => { if (!picker.contains(e.target)) list.classList.add("hidden"); },
      { signal: refs.cannedAbort.signal });
    search.addEventListener("input", load);
    langSel.addEventListener("change", load);
    const picker = h("div", { class: "canned-picker" }, h("div", { class: "row" }, search, langSel), list);
    return picker;
  }

  function showTyping(active) {
    if (!refs.typing) return;
    refs.typing.textContent = active ? t("Customer is typing…") : "";
    clearTimeout(state.typingTimer);
    if (active) state.typingTimer = setTimeout(() => { refs.typing.textContent = ""; }, 6000);
  }

  // -- live events --------------------------------------------------------------------------
  function onEvent(type, data) {
    const sid = data?.session_id || data?.id;
    if (type === "handoff") { reloadQueue(); if (sid && !state.seen.has(sid)) { beep(); toast(t("New hand-off")); } return; }
    if (type === "customer_message" || type === "agent_message") {
      const message = data.message || data;
      if (sid === state.selected) {
        appendMessage(message);
        if (message.role === "customer") showTyping(false);
      } else if (type === "customer_message" && message.role === "customer"
                 && [...state.pending, ...state.active].some((s) => idOf(s) === sid)) {
        state.unread.set(sid, (state.unread.get(sid) || 0) + 1);
      }
      const item = [...state.pending, ...state.active].find((s) => idOf(s) === sid);
      if (item && message.role === "customer") item.last_customer_message = message.text;
      renderLists();
      return;
    }
    if (type === "typing") { if (sid === state.selected && data.sender === "customer") showTyping(data.active !== false); return; }
    if (type === "status" || type === "assignment" || type === "reset") { reloadQueue(); return; }
    if (type === "suggestion") toast(`${t("Suggestions")}: ${data.kind || ""}`);
    if (type === "offline_request") toast(t("Contact requests"));
  }

  await loadQueue();
  const stream = openStream("/v1/agents/stream", {
    onEvent,
    onState: (s) => {
      streamState.textContent = s === "open" ? t("Live") : s === "unavailable" ? t("Not available yet") : t("Reconnecting…");
      streamState.className = `stream-state ${s}`;
      streamState.dataset.state = s;
      if (s === "open") reloadQueue();  // catch up on anything missed while disconnected
    },
  });
  // A slow poll as a safety net for waiting times and anything a proxy swallowed.
  const poll = setInterval(loadQueue, 30000);
  return () => { stream.close(); clearInterval(poll); clearTimeout(state.typingTimer); refs.cannedAbort?.abort(); refs.resize?.disconnect(); };
}
