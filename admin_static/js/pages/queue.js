// Live queue: pending and active hand-offs kept current over the agents' SSE stream, one
// conversation open at a time with reply box, canned replies, attachments, typing and the outcome
// modal. Keyboard focus never drops to <body>: a re-render of the lists puts it back on the same
// chat, and every action moves it to where the agent goes next.
import { api, openStream, qs } from "../api.js";
import { debounce, dirOf, field, fmtDuration, fmtTime, focusTarget, h, keepFocus, modal, mount, toast, uid } from "../dom.js";
import { currentLang, label, langName, LANGS, t, tf } from "../i18n.js";
import { customerFacts, customerName, messageBubble } from "../messages.js";
import { failure, rowsOf, setBadge } from "../ui.js";

export const OUTCOME_STATUSES = ["solved", "unsolved", "escalated", "follow_up", "no_response", "duplicate", "spam"];
const ISSUE_CATEGORIES = ["billing", "network", "device", "account", "sim", "roaming", "internet", "other"];
const ATTACH_TYPES = "image/jpeg,image/png,image/webp,image/heic,application/pdf";

const idOf = (s) => s.session_id || s.id;
const listOf = (body, key) => rowsOf(body, key, "canned_replies");

export async function render(root, { user }) {
  const state = { pending: [], active: [], selected: null, detail: null, unread: new Map(), seen: new Set(),
    soundOn: localStorage.getItem("nura.admin.sound") === "1", typingTimer: null, lastTypingSent: 0 };

  const streamState = h("span", { class: "stream-state", id: "stream-state", role: "status", text: t("Reconnecting…") });
  const hours = h("span", { class: "pill hidden", id: "business-hours" });
  const sound = h("input", { type: "checkbox", id: "sound-toggle", checked: state.soundOn,
    onchange: () => { state.soundOn = sound.checked; localStorage.setItem("nura.admin.sound", sound.checked ? "1" : "0"); } });
  const pendingList = h("ul", { class: "queue-list", id: "pending-list", "aria-labelledby": "pending-heading" });
  const activeList = h("ul", { class: "queue-list", id: "active-list", "aria-labelledby": "active-heading" });
  const pendingCount = h("span", { class: "pill", id: "pending-count", text: "0" });
  const activeCount = h("span", { class: "pill", id: "active-count", text: "0" });
  const pane = h("section", { class: "conversation", id: "conversation", "aria-label": t("Conversation") },
    h("div", { class: "placeholder", text: t("Select a conversation") }));
  const notice = h("div");
  const pendingHeading = h("h2", { id: "pending-heading" }, h("span", { text: t("Pending") }), pendingCount);
  const activeHeading = h("h2", { id: "active-heading" }, h("span", { text: t("Active") }), activeCount);

  mount(root,
    h("div", { class: "page-header" }, h("h1", { text: t("Live queue") }), streamState, hours,
      h("label", { class: "check" }, sound, t("Sound for new hand-offs"))),
    notice,
    h("div", { class: "queue-layout" },
      h("div", { class: "queue-columns" },
        h("section", { class: "queue-column" }, pendingHeading, pendingList),
        h("section", { class: "queue-column" }, activeHeading, activeList)),
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
    let unread = 0;
    for (const n of state.unread.values()) unread += n;
    setBadge(state.pending.length + unread);
  }

  function queueItem(s) {
    const sid = idOf(s);
    const unread = state.unread.get(sid) || 0;
    const verified = s.customer ? (s.customer.verified ? t("Verified") : t("Not verified")) : null;
    // One real button per chat: Enter/Space open it, screen readers read its facts in order.
    const open = h("button", { type: "button", class: "queue-open", "data-focus-key": `chat-${sid}`,
      "aria-current": state.selected === sid ? "true" : null, onclick: () => select(sid, true) },
      h("span", { class: "row" }, h("strong", { class: "grow" }, h("bdi", { text: customerName(s) })),
        verified ? h("span", { class: `pill ${s.customer.verified ? "ok" : "warn"}`, text: verified }) : null,
        unread ? h("span", { class: "unread", text: String(unread) }) : null,
        unread ? h("span", { class: "visually-hidden", text: ` ${t("unread")}` }) : null),
      h("span", { class: "preview", dir: "auto", text: s.last_customer_message || "" }),
      h("span", { class: "meta" },
        h("span", { "data-reason": s.handoff_reason || "", text: label(s.handoff_reason, "handoff_reason") }),
        h("span", { text: langName(s.lang) }),
        h("span", { text: label(s.channel, "channel") }),
        s.assigned_agent ? h("span", {}, "→ ", h("bdi", { text: s.assigned_agent })) : null,
        s.waiting_s !== null && s.waiting_s !== undefined ? h("span", { text: fmtDuration(s.waiting_s) }) : null));
    return h("li", { class: `queue-item${state.selected === sid ? " selected" : ""}${s.stale ? " stale" : ""}`,
      "data-session-id": sid }, open);
  }

  function renderLists() {
    const restore = keepFocus(root.querySelector(".queue-columns"),
      () => pendingList.querySelector(".queue-open") || activeList.querySelector(".queue-open") || focusable(pendingHeading));
    mount(pendingList, state.pending.length ? state.pending.map(queueItem) : h("li", { class: "empty", text: t("No conversations waiting.") }));
    mount(activeList, state.active.length ? state.active.map(queueItem) : h("li", { class: "empty", text: t("No active conversations.") }));
    pendingCount.textContent = String(state.pending.length);
    activeCount.textContent = String(state.active.length);
    updateBadge();
    restore();
  }

  function focusable(el) { if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1"); return el; }

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
    const listed = [...state.pending, ...state.active].find((s) => idOf(s) === state.selected);
    if (listed && state.detail?.session && idOf(state.detail.session) === state.selected) {
      return { ...state.detail.session, ...listed, customer: listed.customer ?? state.detail.session.customer };
    }
    return listed || state.detail?.session;
  }

  async function select(sid, byUser = false) {
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
    // The agent picked this chat: the next Tab reaches its actions (accept, reply).
    if (byUser) focusTarget(refs.title);
  }

  function renderPane() {
    const s = current();
    const lang = s?.lang || "ar";
    refs.title = h("h2", { class: "conv-title", id: "conv-title", tabindex: "-1" }, h("bdi", { text: customerName(s) }));
    refs.head = h("div", { class: "conv-head", id: "conv-head" });
    refs.messages = h("div", { class: "messages", id: "messages", role: "log", "aria-live": "polite", "aria-labelledby": "conv-title", tabindex: "0" });
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
    refs.typing = h("div", { class: "typing", id: "typing-indicator", role: "status" });
    const replyLabel = uid("reply-label");
    refs.input = h("textarea", { id: "reply-text", placeholder: t("Type a reply…"), dir: dirOf(lang), lang, rows: 2,
      "aria-labelledby": replyLabel, "aria-describedby": "reply-hint",
      oninput: sendTyping,
      onkeydown: (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendReply(); } } });
    refs.file = h("input", { type: "file", id: "attach-file", class: "visually-hidden", multiple: true, accept: ATTACH_TYPES,
      tabindex: "-1", "aria-hidden": "true", onchange: sendFiles });
    refs.canned = cannedPicker(lang, (text) => { refs.input.value = text; refs.input.focus(); });
    refs.composer = h("div", { class: "composer" }, refs.canned,
      h("span", { class: "visually-hidden", id: replyLabel, text: t("Reply") }),
      h("div", { class: "row" }, h("div", { class: "grow" }, refs.input),
        h("div", { class: "composer-actions" },
          h("button", { type: "button", class: "secondary", id: "attach", text: t("Attach"),
            "aria-label": t("Attach a photo or PDF"), onclick: () => refs.file.click() }), refs.file,
          h("button", { type: "button", class: "primary", id: "send-reply", text: t("Send"), onclick: sendReply }))),
      h("small", { class: "hint", id: "reply-hint", text: t("Ctrl+Enter sends.") }));
    // WhatsApp: the 24-hour window, and the approved template once it has closed.
    refs.wa = s?.channel === "whatsapp" ? h("div", { class: "wa-window", id: "wa-window", role: "status" }) : null;
    mount(pane, refs.title, refs.head, refs.wa, refs.messages, refs.typing, refs.composer);
    for (const m of state.detail.messages || []) appendMessage(m);
    refreshHeader();
    if (refs.wa) loadWindow(idOf(s));
  }

  async function loadWindow(sid) {
    let info;
    try {
      info = await api("GET", `/v1/whatsapp/sessions/${encodeURIComponent(sid)}`);
    } catch (err) {
      if (refs.wa) mount(refs.wa, h("span", { class: "hint", text: err.unavailable ? t("WhatsApp is not connected.") : err.message }));
      return;
    }
    if (!refs.wa || state.selected !== sid) return;
    const w = info.window || {};
    const parts = [];
    if (w.open) {
      parts.push(h("span", { class: "pill ok", id: "wa-window-state", "data-open": "true",
        text: tf("WhatsApp window open: {time} left", { time: fmtDuration(w.seconds_left) }) }));
    } else {
      parts.push(h("span", { class: "pill warn", id: "wa-window-state", "data-open": "false",
        text: t("The customer's 24-hour WhatsApp window has closed: only an approved template can be sent.") }));
      if (info.template) {
        parts.push(h("button", { type: "button", class: "secondary", id: "wa-send-template",
          text: tf("Send the template “{name}”", { name: info.template }), onclick: () => sendTemplate(sid) }));
      } else {
        parts.push(h("span", { class: "hint", id: "wa-no-template",
          text: t("No WhatsApp template is configured (WHATSAPP_TEMPLATE_NAME in Settings).") }));
      }
    }
    const last = (info.messages || [])[0];
    if (last) {
      parts.push(h("span", { class: "hint", id: "wa-last-status", "data-status": last.status,
        text: tf("Last message to the customer: {status}", { status: label(last.status, "whatsapp_status") }) }));
    }
    if (w.template_sent_at) {
      parts.push(h("span", { class: "hint", id: "wa-template-sent",
        text: tf("Template sent {time}. You can reply when the customer answers.", { time: fmtTime(w.template_sent_at) }) }));
    }
    mount(refs.wa, ...parts);
  }

  async function sendTemplate(sid) {
    try {
      const result = await api("POST", `/v1/whatsapp/sessions/${encodeURIComponent(sid)}/template`, {});
      toast(result.sent ? t("Template sent.") : t("The template waits: WhatsApp is not answering; it is retried."));
    } catch (err) {
      toast(err.message, "error");
    }
    await loadWindow(sid);
    refs.input?.focus();
  }

  function refreshHeader() {
    const s = current();
    if (!s || !refs.head) return;
    const restore = keepFocus(refs.head, () => refs.title);
    const mine = s.status === "human_active" && s.assigned_agent === user.username;
    const pending = s.status === "pending_handoff";
    const sid = idOf(s);
    mount(refs.title, h("bdi", { text: customerName(s) }));
    mount(refs.head,
      h("dl", { class: "facts grow" },
        h("div", {}, h("dt", { text: t("Customer") }), h("dd", { id: "conv-customer" }, customerFacts(s))),
        h("div", {}, h("dt", { text: t("Hand-off reason") }),
          h("dd", { id: "conv-reason", "data-reason": s.handoff_reason || "", text: label(s.handoff_reason, "handoff_reason") || "—" })),
        h("div", {}, h("dt", { text: t("Language") }), h("dd", { id: "conv-lang", "data-lang": s.lang || "", text: langName(s.lang) })),
        h("div", {}, h("dt", { text: t("Channel") }), h("dd", { text: label(s.channel, "channel") || "—" })),
        h("div", {}, h("dt", { text: t("Status") }), h("dd", { id: "conv-status", "data-status": s.status || "", text: label(s.status, "session_status") || "—" })),
        s.assigned_agent ? h("div", {}, h("dt", { text: t("Assigned to") }), h("dd", {}, h("bdi", { text: s.assigned_agent }))) : null),
      h("div", { class: "row conv-actions" },
        pending ? h("button", { type: "button", class: "primary", id: "accept", text: t("Accept"), onclick: () => act(sid, "accept") }) : null,
        mine ? h("button", { type: "button", class: "secondary", id: "transfer", text: t("Transfer"), onclick: () => transfer(sid) }) : null,
        mine ? h("button", { type: "button", class: "secondary", id: "release", text: t("Release"), onclick: () => act(sid, "release") }) : null,
        mine || (user.role === "admin" && s.status === "human_active")
          ? h("button", { type: "button", class: "primary", id: "resolve", text: t("Resolve"), onclick: () => resolve(sid) }) : null));
    if (refs.composer) refs.composer.classList.toggle("hidden", !mine);
    restore();
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
      // Accepted: the agent writes next. Released: back to the chat's heading.
      if (action === "accept" && refs.input && !refs.composer.classList.contains("hidden")) refs.input.focus();
      else focusTarget(refs.title);
    } catch (err) {
      toast(err.message, "error");
      await loadQueue();
    }
  }

  async function transfer(sid) {
    const agent = h("input", { name: "agent", required: true, id: "transfer-agent", dir: "ltr", autocomplete: "off" });
    const done = await modal(t("Transfer to agent"), field(t("Agent username"), agent), {
      submitLabel: t("Transfer"), cancelLabel: t("Cancel"), returnFocus: () => refs.title,
      onSubmit: (data) => api("POST", `/v1/handoff/${encodeURIComponent(sid)}/transfer`, { agent: data.get("agent").trim() }),
    });
    if (done) { toast(t("Transferred.")); await loadQueue(); await select(sid); focusTarget(refs.title); }
  }

  async function resolve(sid) {
    const status = h("select", { name: "status", id: "outcome-status" },
      OUTCOME_STATUSES.map((s) => h("option", { value: s, text: label(s, "outcome_status") })));
    const category = h("select", { name: "issue_category", id: "outcome-category" },
      h("option", { value: "", text: "—" }),
      ISSUE_CATEGORIES.map((c) => h("option", { value: c, text: label(c, "issue_category") })));
    const cause = h("input", { name: "root_cause", id: "outcome-cause", maxlength: 200, dir: "auto" });
    const notes = h("textarea", { name: "resolution_notes", id: "outcome-notes", maxlength: 4000, dir: "auto" });
    // The article that answers the customer (issue 16): the customer's question is then proposed
    // as an example question of that article on the Knowledge gaps page ("none": a new topic).
    const answerArticle = h("select", { name: "answer_article", id: "outcome-article" },
      h("option", { value: "", text: t("Not chosen") }), h("option", { value: "none", text: t("None: a new topic") }));
    try {
      const { articles = [] } = await api("GET", "/v1/knowledge/articles");
      const lang = currentLang();
      for (const a of articles) {
        const title = (a.title && (a.title[lang] || a.title.ar || Object.values(a.title)[0])) || a.id;
        answerArticle.append(h("option", { value: a.id, text: `${title} (${a.id})` }));
      }
    } catch { /* the form still resolves without the list */ }
    const body = h("div", { class: "resolve-fields" },
      field(t("Outcome"), status), field(t("Issue category"), category),
      field(t("Root cause"), cause), field(t("Resolution notes"), notes),
      field(t("Article that answers the question"), answerArticle));
    const done = await modal(t("Resolve"), body, {
      submitLabel: t("Resolve"), cancelLabel: t("Cancel"),
      returnFocus: () => pendingList.querySelector(".queue-open") || activeList.querySelector(".queue-open") || focusable(pendingHeading),
      onSubmit: (data) => api("POST", `/v1/handoff/${encodeURIComponent(sid)}/resolve`, {
        status: data.get("status"), issue_category: data.get("issue_category") || null,
        root_cause: data.get("root_cause") || null, resolution_notes: data.get("resolution_notes") || null,
        resolved_by: user.username, answer_article: data.get("answer_article") || null,
      }),
    });
    if (done) {
      toast(t("Resolved."));
      state.selected = null; state.detail = null;
      mount(pane, h("div", { class: "placeholder", text: t("Select a conversation") }));
      await loadQueue();
      (pendingList.querySelector(".queue-open") || activeList.querySelector(".queue-open") || focusable(pendingHeading)).focus();
    }
  }

  async function sendReply() {
    const text = refs.input.value.trim();
    if (!text || !state.selected) return;
    const sid = state.selected;
    refs.input.disabled = true;
    try {
      // No agent_name: the server shows customers the agent's display name (never the username).
      const result = await api("POST", `/v1/session/${encodeURIComponent(sid)}/agent-message`, { message: text });
      refs.input.value = "";
      const message = result?.message || (result?.id ? result : null);
      if (message) appendMessage(message);
    } catch (err) {
      if (err.code === "whatsapp_window_closed") {
        // Kept in the box: the agent sends the template first, then this text once the customer answers.
        toast(t("The customer's 24-hour WhatsApp window has closed: only an approved template can be sent."), "error");
        await loadWindow(sid);
      } else {
        toast(err.message, "error");
      }
    } finally {
      refs.input.disabled = false;
      refs.input.focus();
    }
  }

  async function sendFiles() {
    const files = [...refs.file.files];
    if (!files.length || !state.selected) return;
    const form = new FormData();
    for (const file of files) form.append("file", file, file.name);
    if (refs.input.value.trim()) form.append("caption", refs.input.value.trim());
    try {
      const result = await api("POST", `/v1/session/${encodeURIComponent(state.selected)}/agent-attachments`, undefined, { form });
      refs.input.value = "";
      if (result?.message) appendMessage(result.message);
      toast(t("Sent."));
    } catch (err) {
      toast(err.unavailable ? t("Not available yet") : err.message, "error");
    } finally {
      refs.file.value = "";
      pane.querySelector("#attach")?.focus();
    }
  }

  function sendTyping() {
    const now = Date.now();
    if (!state.selected || now - state.lastTypingSent < 2500) return;
    state.lastTypingSent = now;
    api("POST", `/v1/session/${encodeURIComponent(state.selected)}/typing`, { sender: "agent", text: refs.input.value.slice(0, 200) })
      .catch(() => { /* typing is a courtesy; never interrupt the agent over it */ });
  }

  /**
   * Canned replies: a search box and a list of buttons. Down arrow moves from the box into the
   * list, up/down move through it, Enter picks, Escape goes back to the box.
   */
  function cannedPicker(lang, onPick) {
    const listId = "canned-list";
    const search = h("input", { type: "search", id: "canned-search", placeholder: t("Search canned replies"), class: "grow",
      "aria-label": t("Search canned replies"), "aria-controls": listId, "aria-expanded": "false", autocomplete: "off" });
    const langSel = h("select", { id: "canned-lang", "aria-label": t("Language of the canned replies") },
      LANGS.map((l) => h("option", { value: l, selected: l === lang, text: langName(l) })));
    const list = h("ul", { class: "canned-list hidden", id: listId, "aria-label": t("Canned replies") });
    const show = (on) => { list.classList.toggle("hidden", !on); search.setAttribute("aria-expanded", on ? "true" : "false"); };
    const buttons = () => [...list.querySelectorAll("button")];
    const load = debounce(async () => {
      try {
        // With the session id the server fills {customer_name}, {agent_name} and {company_name}.
        const body = await api("GET", `/v1/canned-replies${qs({ lang: langSel.value, q: search.value.trim(), session_id: state.selected })}`);
        const replies = listOf(body, "replies");
        mount(list, replies.length ? replies.map((r) => h("li", {},
          h("button", { type: "button", class: "canned-item", dir: dirOf(r.lang || langSel.value), lang: r.lang || langSel.value,
            onclick: () => { onPick(r.rendered || r.text); show(false); } },
            h("strong", { text: r.title || "" }), r.title ? " — " : "", r.rendered || r.text)))
          : h("li", { class: "empty", text: t("Nothing here yet.") }));
      } catch (err) {
        mount(list, h("li", {}, failure(err)));
      }
      show(true);
    }, 200);
    search.addEventListener("focus", load);
    search.addEventListener("input", load);
    search.addEventListener("keydown", (e) => {
      if (e.key === "Escape") show(false);
      if (e.key === "ArrowDown" && buttons().length) { e.preventDefault(); show(true); buttons()[0].focus(); }
    });
    list.addEventListener("keydown", (e) => {
      const all = buttons();
      const index = all.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && index >= 0) { e.preventDefault(); all[Math.min(index + 1, all.length - 1)].focus(); }
      if (e.key === "ArrowUp" && index >= 0) { e.preventDefault(); (index === 0 ? search : all[index - 1]).focus(); }
      if (e.key === "Escape") { e.preventDefault(); show(false); search.focus(); }
    });
    // Close the list when the agent clicks anywhere else.
    refs.cannedAbort?.abort();
    refs.cannedAbort = new AbortController();
    document.addEventListener("click", (e) => { if (!picker.contains(e.target)) show(false); },
      { signal: refs.cannedAbort.signal });
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
    if (type === "identity") {
      const item = [...state.pending, ...state.active].find((s) => idOf(s) === sid);
      if (item) { item.customer = data.customer; renderLists(); }
      if (sid === state.selected && state.detail?.session) { state.detail.session.customer = data.customer; refreshHeader(); }
      return;
    }
    if (type === "typing") { if (sid === state.selected && data.sender === "customer") showTyping(data.active !== false); return; }
    if (type === "status" || type === "assignment" || type === "reset") { reloadQueue(); return; }
    if (type === "suggestion") toast(`${t("Suggestions")}: ${label(data.kind, "suggestion_kind")}`);
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
