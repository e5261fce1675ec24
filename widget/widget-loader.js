/* NURA chat widget loader. Draws only the chat button; the full widget (widget.js, same folder)
 * is fetched when the visitor opens the chat, or at once when a conversation is already going on
 * (the panel was open, or a person is handling it) or data-auto-open="true".
 * No eval, no inline styles or handlers: safe under a strict Content-Security-Policy. */
(function () {
  'use strict';
  var w = window, d = document, me = d.currentScript;
  if (!me || (w.NuraWidget && w.NuraWidget.config)) return; // a second embed on the page is ignored
  var src = me.src, cfg = { base: src.slice(0, src.lastIndexOf('/') + 1), nonce: me.nonce || '' };
  for (var i = 0; i < me.attributes.length; i++) {
    var a = me.attributes[i];
    if (a.name.indexOf('data-') === 0) cfg[a.name.slice(5).replace(/-(\w)/g, function (m, c) { return c.toUpperCase(); })] = a.value;
  }
  cfg.api = (cfg.api || new URL(cfg.base).origin + '/v1').replace(/\/+$/, '');
  var ns = w.NuraWidget = { config: cfg, wantOpen: false, queue: [], open: function () { start(true); } };
  // Calls made before widget.js arrives are queued and replayed by it (setUser, on, setLanguage …).
  'close setLang setLanguage setUser on off'.split(' ').forEach(function (n) { ns[n] = function () { ns.queue.push([n, arguments]); }; });
  var saved = null;
  try { saved = JSON.parse(w.localStorage.getItem('nura-widget:' + cfg.api) || 'null'); } catch (e) { /* storage blocked */ }
  var host, button, loading = false;

  function color(v, dflt) { return v && w.CSS && CSS.supports('color', v) ? v : dflt; }

  // wantOpen is 'quiet' when the page loading opens it (restored open, or data-auto-open) rather
  // than the visitor: the widget must not take the keyboard focus from the host page then.
  function start(open, quiet) {
    if (open) ns.wantOpen = quiet ? 'quiet' : true;
    if (loading) return;
    loading = true;
    if (button) button.setAttribute('aria-busy', 'true');
    var s = d.createElement('script'), url = cfg.base + 'widget.js', tt = w.trustedTypes;
    if (tt && tt.createPolicy) {
      // Hosts that enforce Trusted Types allow this policy by name: trusted-types nura-widget
      try { url = tt.createPolicy('nura-widget', { createScriptURL: function (u) { return u; } }).createScriptURL(url); } catch (e) { /* not enforced */ }
    }
    s.src = url;
    s.async = true;
    if (cfg.nonce) s.nonce = cfg.nonce;
    s.onerror = function () { loading = false; if (button) button.removeAttribute('aria-busy'); };
    (d.head || d.documentElement).appendChild(s);
  }

  function mount() {
    host = d.createElement('nura-widget-launcher');
    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    var side = cfg.position === 'bottom-left' ? 'left' : 'right';
    var css = ':host{all:initial!important}button{all:initial;position:fixed;bottom:20px;' + side + ':20px;z-index:2147483000;' +
      'width:60px;height:60px;border-radius:50%;background:' + color(cfg.primary, '#0f766e') + ';color:#fff;cursor:pointer;' +
      'display:flex;align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(0,0,0,.25)}' +
      'button:focus-visible{outline:none;box-shadow:0 0 0 3px #fff,0 0 0 6px ' + color(cfg.accent, '#1e3a8a') + '}' +
      'button[aria-busy]{opacity:.7;cursor:progress}svg{width:28px;height:28px;fill:currentColor}';
    if (root.adoptedStyleSheets && w.CSSStyleSheet && 'replaceSync' in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } else if (root !== host) {
      var st = d.createElement('style');
      if (cfg.nonce) st.nonce = cfg.nonce;
      st.textContent = css;
      root.appendChild(st);
    }
    button = d.createElement('button');
    button.type = 'button';
    // As widget.js picks it: the visitor's choice, data-lang, <html lang>, the browser's (Sorani: ckb, ku-Arab/IQ/IR).
    var tags = [saved && saved.picked && saved.lang, cfg.lang, d.documentElement.lang].concat([].slice.call(w.navigator.languages || [])), lang;
    for (var j = 0; j < tags.length && !lang; j++) {
      var tag = String(tags[j] || '').toLowerCase();
      lang = /^(ckb|ku-(arab|iq|ir))/.test(tag) ? 'ckb' : /^(ku|kmr)/.test(tag) ? 'ku' : /^(ar|en)/.test(tag) ? tag.slice(0, 2) : '';
    }
    var labels = { ar: 'افتح المحادثة', ckb: 'گفتوگۆ بکەرەوە', ku: 'Axaftinê veke', en: 'Open chat' };
    button.setAttribute('aria-label', labels[lang] || labels.ar);
    var svg = d.createElementNS('http://www.w3.org/2000/svg', 'svg'), path = d.createElementNS(svg.namespaceURI, 'path');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2zm3 6v2h10V9H7zm0 4v2h7v-2H7z');
    svg.appendChild(path);
    button.appendChild(svg);
    button.addEventListener('click', function () { start(true); });
    root.appendChild(button);
    d.body.appendChild(host);
    // widget.js removes this launcher once its own is on the page.
    ns.loaderHost = host;
  }

  function ready() {
    if (saved && (saved.open || /handoff|human/.test(saved.status || ''))) start(!!saved.open, true);
    else if (cfg.autoOpen === 'true') start(true, true);
    mount();
  }
  if (d.body) ready(); else d.addEventListener('DOMContentLoaded', ready);
})();
