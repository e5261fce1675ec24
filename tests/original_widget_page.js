/* A stand-in for the original NURA widget, written for tests/test_original_widget_browser.py.
 *
 * It is not the original's code (which is not ours to ship); it makes the same HTTP calls with
 * the same bodies and headers, from a host page on another origin, and reads the same fields the
 * original reads: the tree root's label[lang] || label.ar, children, article (a key of the article
 * table the page carries), action "agent"/"complaint"; stream-token then an EventSource with
 * stream_token and onmessage frames {type: "turn"|"typing"|"status"}; suggestions with `message`
 * and case_number; upload → url in <img src> → a message naming attachment_url. */
(function () {
  'use strict';
  var script = document.currentScript;
  var API = script.getAttribute('data-api');
  var lang = script.getAttribute('data-lang') || 'ar';
  var state = { sid: null, token: null, cid: 'widget-' + Math.random().toString(36).slice(2, 10), stream: null };
  // The article table the page carries, keyed by position in articals.json (as the original did).
  var ARTICLES = {
    0: 'نص محلي: تفعيل الباقة من التطبيق.',
    1: 'نص محلي: أعد تشغيل الجهاز وأوقف الـ VPN.',
    2: 'نص محلي: اسم نقطة الوصول internet.',
    3: 'نص محلي: من الثامنة حتى العاشرة.',
    4: 'نص محلي: استبدال الشريحة في المركز.'
  };
  window.__legacy = { errors: [], frames: [], state: state };
  window.addEventListener('error', function (e) { window.__legacy.errors.push(String(e.message)); });

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }
  var root = el('div', { id: 'legacy-widget', dir: 'rtl' });
  var treeBox = el('div', { id: 'legacy-tree' });
  var log = el('div', { id: 'legacy-log' });
  var typing = el('div', { id: 'legacy-typing', hidden: '' }, '…');
  var input = el('textarea', { id: 'legacy-input' });
  var send = el('button', { id: 'legacy-send', type: 'button' }, 'إرسال');
  var file = el('input', { id: 'legacy-file', type: 'file' });
  root.append(treeBox, log, typing, input, send, file);
  document.body.appendChild(root);

  function label(node) { return node.label[lang] || node.label.ar; }
  function say(cls, text) { var p = el('p', { class: cls }, text); log.appendChild(p); return p; }
  function headers(json) {
    var h = json ? { 'Content-Type': 'application/json' } : {};
    if (state.token) h['X-Session-Token'] = state.token;
    return h;
  }
  function post(path, body) {
    return fetch(API + path, { method: 'POST', headers: headers(true), body: JSON.stringify(body) }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.detail || ('Error ' + r.status)); return j; });
    });
  }
  function track(type, lbl, meta, extra) {
    var body = { session_id: state.sid, customer_id: state.cid, event_type: type, label: lbl || '', meta: meta || '' };
    Object.keys(extra || {}).forEach(function (k) { body[k] = extra[k]; });
    fetch(API + '/analytics/click', { method: 'POST', headers: headers(true), body: JSON.stringify(body) });
  }

  function renderTree(node) {
    treeBox.textContent = '';
    treeBox.appendChild(el('h3', { id: 'legacy-tree-title' }, label(node)));
    (node.children || []).forEach(function (child) {
      var b = el('button', { type: 'button', class: 'legacy-node', 'data-id': child.id }, label(child));
      b.addEventListener('click', function () {
        track('tree_click', label(child), child.id, { topic_id: child.id, article_id: child.article != null ? child.article : null });
        if (child.action === 'complaint') complaintForm();
        else if (child.action === 'agent') toAgent();
        else if (child.article !== undefined) { say('legacy-user', label(child)); say('legacy-article', ARTICLES[child.article]); }
        else if (child.children) renderTree(child);
      });
      treeBox.appendChild(b);
    });
  }
  fetch(API + '/topic-tree').then(function (r) { return r.json(); }).then(renderTree);

  send.addEventListener('click', function () {
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    say('legacy-user', text);
    post('/message', { session_id: state.sid, channel: 'web', customer_id: state.cid, message: text }).then(function (d) {
      state.sid = d.session_id; state.token = d.session_token || state.token;
      if (d.response) say('legacy-bot', d.response).setAttribute('data-confidence', String(d.confidence));
      if (d.escalated) startStream();
    });
  });

  function toAgent() {
    post('/handoff/direct', { session_id: state.sid, customer_id: state.cid, channel: 'web', reason: 'direct_request' })
      .then(function (d) {
        state.sid = d.session_id; state.token = d.session_token || state.token;
        say('legacy-banner', 'جاري التواصل مع موظف');
        startStream();
      });
  }

  function startStream() {
    if (state.stream) return;
    fetch(API + '/session/' + encodeURIComponent(state.sid) + '/stream-token', { method: 'POST', headers: { 'X-Session-Token': state.token } })
      .then(function (r) { if (!r.ok) throw new Error('token ' + r.status); return r.json(); })
      .then(function (t) {
        var es = new EventSource(API + '/session/' + encodeURIComponent(state.sid) + '/stream?stream_token=' + encodeURIComponent(t.stream_token));
        state.stream = es;
        es.onmessage = function (e) {
          var frame = JSON.parse(e.data);
          window.__legacy.frames.push(frame);
          if (frame.type === 'turn' && frame.turn.role === 'agent' && frame.turn.source === 'human') {
            typing.hidden = true;
            say('legacy-agent', frame.turn.message);
          } else if (frame.type === 'typing' && frame.sender === 'agent') {
            typing.hidden = false;
          } else if (frame.type === 'status' && frame.status === 'RESOLVED') {
            es.close();
            rating();
          }
        };
      });
  }

  function rating() {
    var box = el('div', { id: 'legacy-rating' });
    [1, 2, 3, 4, 5].forEach(function (score) {
      var star = el('button', { type: 'button', class: 'legacy-star', 'data-score': String(score) }, '★');
      star.addEventListener('click', function () {
        post('/session/' + encodeURIComponent(state.sid) + '/rating', { score: score }).then(function () {
          box.textContent = 'شكراً على تقييمك';
        });
      });
      box.appendChild(star);
    });
    log.appendChild(box);
  }

  function complaintForm() {
    var box = el('div', { id: 'legacy-complaint' });
    var text = el('textarea', { id: 'legacy-complaint-text' });
    var submit = el('button', { id: 'legacy-complaint-send', type: 'button' }, 'إرسال');
    submit.addEventListener('click', function () {
      post('/suggestions', { session_id: state.sid, customer_id: state.cid, channel: 'web', kind: 'suggestion', message: text.value.trim() })
        .then(function (d) { box.replaceWith(say('legacy-case', 'رقم المتابعة: ' + d.case_number)); })
        .catch(function (e) { say('legacy-error', e.message); });
    });
    box.append(text, submit);
    treeBox.appendChild(box);
  }

  file.addEventListener('change', function () {
    var chosen = file.files[0];
    var form = new FormData();
    form.append('file', chosen);
    form.append('session_id', state.sid);
    fetch(API + '/upload', { method: 'POST', headers: { 'X-Session-Token': state.token }, body: form })
      .then(function (r) { return r.json(); })
      .then(function (up) {
        var img = el('img', { id: 'legacy-upload', alt: chosen.name });
        img.src = up.url;
        log.appendChild(img);
        return post('/message', {
          session_id: state.sid, channel: 'web', customer_id: state.cid, message: '[صورة]',
          attachment_url: up.url, message_type: 'image'
        });
      })
      .then(function () { say('legacy-upload-done', 'ok'); });
  });
})();
