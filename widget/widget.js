/* NURA chat widget: guided topic tree, free-text chat, live hand-off to a person.
 * Vanilla JS, no dependencies, no build step. Mounts in an open Shadow DOM with a constructed
 * stylesheet, renders every server or customer text with textContent (never as HTML), and uses no
 * eval, inline handlers or style attributes, so it runs under a strict Content-Security-Policy.
 * The only global is window.NuraWidget. Embed: see docs/WIDGET.md. */
(function () {
  'use strict';
  var w = window, d = document, me = d.currentScript;
  var ns = w.NuraWidget || (w.NuraWidget = {});
  if (ns.loaded) return;
  ns.loaded = true;
  ns.version = '1.0.0';

  /* ---------- configuration ---------- */
  var cfg = ns.config;
  if (!cfg) {
    cfg = { base: '' };
    if (me) {
      cfg.base = me.src.slice(0, me.src.lastIndexOf('/') + 1);
      cfg.nonce = me.nonce || '';
      for (var i = 0; i < me.attributes.length; i++) {
        var at = me.attributes[i];
        if (at.name.indexOf('data-') === 0) cfg[at.name.slice(5).replace(/-(\w)/g, function (m, c) { return c.toUpperCase(); })] = at.value;
      }
    }
    cfg.api = (cfg.api || (cfg.base ? new URL(cfg.base).origin : location.origin) + '/v1').replace(/\/+$/, '');
    ns.config = cfg;
  }
  var API = cfg.api, LANGS = ['ar', 'ckb', 'ku', 'en'], RTL = { ar: 1, ckb: 1 }, LIVE = /^(pending_handoff|human_active)$/;
  var KEY = 'nura-widget:' + API;

  /* ---------- strings: every customer-facing text in ar, ckb (Sorani), ku (Kurmanji) and en ---------- */
  var S = {
    ar: {
      title: 'خدمة العملاء', open: 'افتح المحادثة', close: 'إغلاق المحادثة', sub: 'نحن هنا للمساعدة',
      welcome: 'مرحباً! أنا {agent}، مساعدك الرقمي. اختر موضوعاً من القائمة أو اكتب سؤالك.',
      pick: 'اختر موضوعاً', topics: 'المواضيع', home: 'الرئيسية', back: 'رجوع', crumbs: 'مسار التنقل',
      placeholder: 'اكتب رسالتك…', send: 'إرسال', person: 'التحدث مع موظف', personMsg: 'أريد التحدث مع موظف',
      waiting: 'بانتظار انضمام أحد الموظفين…', withAgent: 'أنت تتحدث الآن مع {agent}', agent: 'موظف خدمة العملاء',
      typing: '{name} يكتب…', botTyping: 'جارٍ الرد…', source: 'المصدر: {s}',
      src_tree: 'دليل المساعدة', src_rules: 'رد سريع', src_article: 'مقال المساعدة', src_rag: 'دليل الخدمة',
      src_ai: 'المساعد الذكي', src_fallback: 'رد تلقائي', src_agent: 'موظف',
      up: 'إجابة مفيدة', down: 'إجابة غير مفيدة', fbThanks: 'شكراً على ملاحظتك',
      fbSorry: 'نأسف لذلك. هل تريد التحدث مع أحد الموظفين؟', menu: 'خيارات', startOver: 'بدء محادثة جديدة',
      suggest: 'اقتراح أو شكوى', k_suggestion: 'اقتراح', k_complaint: 'شكوى', k_compliment: 'شكر وثناء',
      kind: 'النوع', text: 'رسالتك', contact: 'رقم أو بريد للتواصل (اختياري)', submit: 'إرسال', cancel: 'إلغاء',
      sent: 'تم الإرسال، شكراً لك!', required: 'يرجى ملء الحقول المطلوبة.',
      offTitle: 'فريقنا غير متاح الآن', offIntro: 'اترك اسمك ورقمك ووصفاً قصيراً للمشكلة وسنتصل بك في أقرب وقت.',
      name: 'الاسم', phone: 'رقم الهاتف', desc: 'وصف المشكلة',
      error: 'تعذّر الإرسال. تحقّق من الاتصال وحاول مرة أخرى.', retry: 'إعادة المحاولة', busy: 'رسائل كثيرة، انتظر قليلاً ثم حاول مجدداً.',
      offline: 'لا يوجد اتصال بالإنترنت', reconnecting: 'جارٍ إعادة الاتصال…', loadFail: 'تعذّر التحميل.',
      rateAsk: 'انتهت المحادثة. كيف تقيّم الخدمة؟', rateN: '{n} من 5', rated: 'شكراً لتقييمك!',
      lang: 'اللغة', unread: 'رسائل جديدة: {n}', chat: 'نافذة المحادثة', you: 'أنت', noTopics: 'لا توجد مواضيع بعد.',
      attach: 'إرفاق صورة أو ملف', camera: 'التقاط صورة', remove: 'إزالة {name}', attTooBig: '{name} أكبر من {mb} ميغابايت.',
      attType: '{name}: يمكن إرسال الصور (JPEG وPNG وWebP) وملفات PDF فقط.', attTooMany: 'يمكنك إرسال {n} ملفات كحد أقصى في المرة الواحدة.',
      attFail: 'تعذّر إرسال الملف. حاول مرة أخرى.', attOpen: 'فتح {name}', preview: 'ملفات للإرسال', photo: 'صورة'
    },
    ckb: {
      title: 'خزمەتگوزاریی کڕیاران', open: 'گفتوگۆ بکەرەوە', close: 'گفتوگۆ دابخە', sub: 'ئێمە لێرەین بۆ یارمەتیدان',
      welcome: 'سڵاو! من {agent}م، یاریدەدەری دیجیتاڵیی تۆ. بابەتێک لە لیستەکە هەڵبژێرە یان پرسیارەکەت بنووسە.',
      pick: 'بابەتێک هەڵبژێرە', topics: 'بابەتەکان', home: 'سەرەتا', back: 'گەڕانەوە', crumbs: 'ڕێڕەوی گەشت',
      placeholder: 'نامەکەت بنووسە…', send: 'ناردن', person: 'قسەکردن لەگەڵ کارمەند', personMsg: 'دەمەوێت لەگەڵ کارمەندێک قسە بکەم',
      waiting: 'چاوەڕێی کارمەندێک دەکەین…', withAgent: 'ئێستا لەگەڵ {agent} قسە دەکەیت', agent: 'کارمەندێکی خزمەتگوزاری',
      typing: '{name} دەنووسێت…', botTyping: 'وەڵام ئامادە دەکرێت…', source: 'سەرچاوە: {s}',
      src_tree: 'ڕێبەری یارمەتی', src_rules: 'وەڵامی خێرا', src_article: 'وتاری یارمەتی', src_rag: 'ڕێبەری خزمەتگوزاری',
      src_ai: 'یاریدەدەری زیرەک', src_fallback: 'وەڵامی خۆکار', src_agent: 'کارمەند',
      up: 'وەڵامێکی بەسوود', down: 'وەڵامەکە بەسوود نەبوو', fbThanks: 'سوپاس بۆ ڕاکەت',
      fbSorry: 'ببورە بۆ ئەمە. دەتەوێت لەگەڵ کارمەندێک قسە بکەیت؟', menu: 'هەڵبژاردنەکان', startOver: 'دەستپێکردنی گفتوگۆیەکی نوێ',
      suggest: 'پێشنیار یان سکاڵا', k_suggestion: 'پێشنیار', k_complaint: 'سکاڵا', k_compliment: 'سوپاس و ستایش',
      kind: 'جۆر', text: 'نامەکەت', contact: 'ژمارە یان ئیمەیڵ بۆ پەیوەندی (ئارەزوومەندانە)', submit: 'ناردن', cancel: 'هەڵوەشاندنەوە',
      sent: 'نێردرا، سوپاس!', required: 'تکایە خانە پێویستەکان پڕ بکەرەوە.',
      offTitle: 'تیمەکەمان ئێستا بەردەست نییە', offIntro: 'ناو و ژمارەکەت و کورتەیەک لە کێشەکە بەجێبهێڵە، بەم زووانە پەیوەندیت پێوە دەکەین.',
      name: 'ناو', phone: 'ژمارەی تەلەفۆن', desc: 'وەسفی کێشەکە',
      error: 'نەنێردرا. پەیوەندییەکەت بپشکنە و دووبارە هەوڵ بدەرەوە.', retry: 'دووبارە هەوڵدانەوە', busy: 'نامە زۆرن، کەمێک چاوەڕێ بکە و دووبارە هەوڵ بدەرەوە.',
      offline: 'پەیوەندیی ئینتەرنێت نییە', reconnecting: 'پەیوەندی دووبارە دەبەسترێتەوە…', loadFail: 'بار نەکرا.',
      rateAsk: 'گفتوگۆکە کۆتایی هات. خزمەتگوزارییەکە چۆن هەڵدەسەنگێنیت؟', rateN: '{n} لە 5', rated: 'سوپاس بۆ هەڵسەنگاندنەکەت!',
      lang: 'زمان', unread: 'نامەی نوێ: {n}', chat: 'پەنجەرەی گفتوگۆ', you: 'تۆ', noTopics: 'هێشتا هیچ بابەتێک نییە.',
      attach: 'ناردنی وێنە یان فایل', camera: 'گرتنی وێنە', remove: 'لابردنی {name}', attTooBig: '{name} لە {mb} مێگابایت گەورەترە.',
      attType: '{name}: تەنها وێنە (JPEG، PNG، WebP) و فایلی PDF دەنێردرێن.', attTooMany: 'دەتوانیت هەتا {n} فایل پێکەوە بنێریت.',
      attFail: 'فایلەکە نەنێردرا. دووبارە هەوڵ بدەرەوە.', attOpen: 'کردنەوەی {name}', preview: 'فایلەکانی ناردن', photo: 'وێنە'
    },
    ku: {
      title: 'Xizmeta xerîdaran', open: 'Axaftinê veke', close: 'Axaftinê bigire', sub: 'Em li vir in ji bo alîkariyê',
      welcome: 'Silav! Ez {agent} im, alîkara te ya dîjîtal. Ji lîsteyê mijarekê hilbijêre an pirsa xwe binivîse.',
      pick: 'Mijarekê hilbijêre', topics: 'Mijar', home: 'Destpêk', back: 'Vegere', crumbs: 'Rêça gerê',
      placeholder: 'Peyama xwe binivîse…', send: 'Bişîne', person: 'Bi karmendekî re biaxive', personMsg: 'Ez dixwazim bi karmendekî re biaxivim',
      waiting: 'Li benda karmendekî ye…', withAgent: 'Tu niha bi {agent} re diaxivî', agent: 'karmendê xizmetê',
      typing: '{name} dinivîse…', botTyping: 'Bersiv tê amadekirin…', source: 'Çavkanî: {s}',
      src_tree: 'Rêbera alîkariyê', src_rules: 'Bersiva bilez', src_article: 'Gotara alîkariyê', src_rag: 'Rêbera xizmetê',
      src_ai: 'Alîkarê zîrek', src_fallback: 'Bersiva otomatîk', src_agent: 'Karmend',
      up: 'Bersiv bi kêr hat', down: 'Bersiv bi kêr nehat', fbThanks: 'Spas ji bo nêrîna te',
      fbSorry: 'Em xemgîn in. Tu dixwazî bi karmendekî re biaxivî?', menu: 'Vebijark', startOver: 'Axaftineke nû dest pê bike',
      suggest: 'Pêşniyar an gilî', k_suggestion: 'Pêşniyar', k_complaint: 'Gilî', k_compliment: 'Pesn û spas',
      kind: 'Cure', text: 'Peyama te', contact: 'Hejmar an e-name ji bo têkiliyê (bijarte)', submit: 'Bişîne', cancel: 'Betal bike',
      sent: 'Hat şandin, spas!', required: 'Ji kerema xwe qadên pêwîst tije bike.',
      offTitle: 'Tîma me niha ne berdest e', offIntro: 'Nav, hejmar û danasîneke kurt a pirsgirêkê bihêle, em ê zû li te vegerin.',
      name: 'Nav', phone: 'Hejmara telefonê', desc: 'Danasîna pirsgirêkê',
      error: 'Nehat şandin. Girêdanê kontrol bike û dîsa biceribîne.', retry: 'Dîsa biceribîne', busy: 'Gelek peyam. Hinekî bisekine û dîsa biceribîne.',
      offline: 'Girêdana înternetê tune', reconnecting: 'Ji nû ve tê girêdan…', loadFail: 'Nehat barkirin.',
      rateAsk: 'Axaftin qediya. Tu xizmetê çawa dinirxînî?', rateN: '{n} ji 5', rated: 'Spas ji bo nirxandina te!',
      lang: 'Ziman', unread: 'Peyamên nû: {n}', chat: 'Pencereya axaftinê', you: 'Tu', noTopics: 'Hê mijar tune ne.',
      attach: 'Wêne an pel bişîne', camera: 'Wêne bikişîne', remove: '{name} rake', attTooBig: '{name} ji {mb} MB mezintir e.',
      attType: '{name}: tenê wêne (JPEG, PNG, WebP) û pelên PDF tên şandin.', attTooMany: 'Tu dikarî herî zêde {n} pelan bi carekê bişînî.',
      attFail: 'Pel nehat şandin. Dîsa biceribîne.', attOpen: '{name} veke', preview: 'Pelên ji bo şandinê', photo: 'Wêne'
    },
    en: {
      title: 'Customer support', open: 'Open chat', close: 'Close chat', sub: "We're here to help",
      welcome: "Hi! I'm {agent}, your digital assistant. Pick a topic from the menu or type your question.",
      pick: 'Pick a topic', topics: 'Topics', home: 'Home', back: 'Back', crumbs: 'Breadcrumbs',
      placeholder: 'Type your message…', send: 'Send', person: 'Talk to a person', personMsg: 'I want to talk to a person',
      waiting: 'Waiting for an agent to join…', withAgent: "You're chatting with {agent}", agent: 'a support agent',
      typing: '{name} is typing…', botTyping: 'Replying…', source: 'Source: {s}',
      src_tree: 'Help guide', src_rules: 'Quick answer', src_article: 'Help article', src_rag: 'Service handbook',
      src_ai: 'AI assistant', src_fallback: 'Automatic reply', src_agent: 'Agent',
      up: 'Helpful answer', down: 'Not helpful', fbThanks: 'Thanks for your feedback',
      fbSorry: 'Sorry about that. Would you like to talk to a person?', menu: 'Options', startOver: 'Start a new conversation',
      suggest: 'Suggestion or complaint', k_suggestion: 'Suggestion', k_complaint: 'Complaint', k_compliment: 'Compliment',
      kind: 'Type', text: 'Your message', contact: 'Phone or email for a reply (optional)', submit: 'Send', cancel: 'Cancel',
      sent: 'Sent — thank you!', required: 'Please fill in the required fields.',
      offTitle: 'Our team is offline right now', offIntro: "Leave your name, number and a short description and we'll call you back soon.",
      name: 'Name', phone: 'Phone number', desc: 'Describe the problem',
      error: "Couldn't send. Check your connection and try again.", retry: 'Retry', busy: 'Too many messages. Wait a moment and try again.',
      offline: "You're offline", reconnecting: 'Reconnecting…', loadFail: "Couldn't load.",
      rateAsk: 'This conversation has ended. How would you rate our service?', rateN: '{n} out of 5', rated: 'Thanks for your rating!',
      lang: 'Language', unread: 'New messages: {n}', chat: 'Chat window', you: 'You', noTopics: 'No topics yet.',
      attach: 'Attach a photo or file', camera: 'Take a photo', remove: 'Remove {name}', attTooBig: '{name} is larger than {mb} MB.',
      attType: '{name}: only photos (JPEG, PNG, WebP) and PDF files can be sent.', attTooMany: 'You can send up to {n} files at once.',
      attFail: "Couldn't send the file. Try again.", attOpen: 'Open {name}', preview: 'Files to send', photo: 'Photo'
    }
  };
  var LANG_NAMES = { ar: 'عربي', ckb: 'کوردی', ku: 'Kurdî', en: 'English' };
  var LANG_TITLES = { ar: 'العربية', ckb: 'کوردی (سۆرانی)', ku: 'Kurdî (Kurmancî)', en: 'English' };

  /* ---------- state, persisted per API so a reload or another tab finds the conversation ---------- */
  var st = {};
  try { st = JSON.parse(w.localStorage.getItem(KEY) || '{}') || {}; } catch (e) { st = {}; }
  if (!st.cid) st.cid = 'w-' + rand();
  // Language: the visitor's own pick, else data-lang, else the page's <html lang>, else the browser's.
  if (!st.picked || LANGS.indexOf(st.lang) < 0) {
    st.lang = pickLang([cfg.lang, d.documentElement.lang].concat([].slice.call(w.navigator.languages || [w.navigator.language])));
  }
  var conf = { agent_name: 'Nura', handoff_enabled: true, business_open: true, languages: LANGS, attachments: { enabled: false } };
  // Who the customer is, when the host says so (data-customer-* or NuraWidget.setUser).
  var user = cleanUser({ id: cfg.customerId, name: cfg.customerName, signature: cfg.customerSignature, phone: cfg.customerPhone,
    email: cfg.customerEmail });
  adoptUser(user);
  var handlers = {}, restoring = false;
  var seen = {}, lastId = 0, unread = 0, isOpen = false, booted = false, inFlight = 0, held = [], echoes = {};
  var es = null, retryN = 0, retryTimer = 0, lastEventId = 0, typingOff = false, typingAt = 0, agentTypingTimer = 0;
  var streams = {}, sending = Promise.resolve(), trees = {}, articles = {}, treeCard = null, treePath = [], bound = [];

  /** ar, ckb (Sorani: ckb, ku-Arab, ku-IQ, ku-IR), ku (Kurmanji: ku, kmr, ku-Latn), en, from a language tag. */
  function langOf(tag) {
    tag = String(tag || '').toLowerCase().replace(/_/g, '-');
    if (/^(ckb|ku-arab|ku-iq|ku-ir)\b/.test(tag)) return 'ckb';
    if (/^(ku|kmr)\b/.test(tag)) return 'ku';
    tag = tag.split('-')[0];
    return LANGS.indexOf(tag) >= 0 ? tag : null;
  }
  function pickLang(tags) {
    for (var i = 0; i < tags.length; i++) { var l = langOf(tags[i]); if (l) return l; }
    return 'ar';
  }
  function cleanUser(u) {
    if (!u || typeof u !== 'object') return null;
    var out = {};
    ['id', 'name', 'phone', 'email', 'signature'].forEach(function (k) { if (u[k] != null && u[k] !== '') out[k] = String(u[k]); });
    if (out.id && !/^[\w.@:+-]{1,128}$/.test(out.id)) { w.console.warn('NuraWidget: customer id must be 1-128 letters, digits or . _ - @ : +'); delete out.id; }
    if (u.attributes && typeof u.attributes === 'object') out.attributes = u.attributes;
    return out.id || out.name || out.phone || out.email ? out : null;
  }
  /** A different signed-in customer on this browser never sees the previous one's conversation. */
  function adoptUser(u) {
    var id = (u && u.id) || null, changed = !!st.uid && st.uid !== id;
    user = u;
    st.uid = id;
    if (changed) { st.sid = st.token = null; st.status = 'bot'; st.rated = false; }
    return changed;
  }
  function emit(name, data) {
    (handlers[name] || []).slice().forEach(function (fn) {
      try { fn(data); } catch (e) { setTimeout(function () { throw e; }, 0); } // a host bug must not stop the widget
    });
  }
  function save() { try { w.localStorage.setItem(KEY, JSON.stringify(st)); } catch (e) { /* private mode */ } }
  function rand() {
    var a = new Uint8Array(12);
    (w.crypto || w.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }
  function t(key, vars) {
    var s = (S[st.lang] || S.ar)[key] || S.en[key] || key;
    return vars ? s.replace(/\{(\w+)\}/g, function (m, k) { return vars[k] == null ? '' : vars[k]; }) : s;
  }
  function enc(v) { return encodeURIComponent(v); }
  function noop() {}

  /* ---------- DOM helpers: elements and text nodes only, no HTML parsing ---------- */
  function h(tag, props, kids) {
    var el = d.createElement(tag);
    for (var k in props || {}) {
      var v = props[k];
      if (v == null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    [].concat(kids || []).forEach(function (c) { if (c != null) el.appendChild(typeof c === 'string' ? d.createTextNode(c) : c); });
    return el;
  }
  var ICONS = {
    chat: 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2zm3 6v2h10V9H7zm0 4v2h7v-2H7z',
    close: 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z',
    send: 'M3 20.5 21 12 3 3.5v6.6L15 12 3 13.9z',
    clip: 'M16.5 6.5v9.8a4.5 4.5 0 0 1-9 0V5.8a3 3 0 0 1 6 0v9.9a1.5 1.5 0 0 1-3 0V6.5H9v9.2a3 3 0 0 0 6 0V5.8a4.5 4.5 0 0 0-9 0v10.5a6 6 0 0 0 12 0V6.5z',
    camera: 'M9 3 7.2 5H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9zm3 5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z',
    doc: 'M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5L13 3.5zM8 13v2h8v-2H8zm0 4v2h6v-2H8z',
    more: 'M12 7a2 2 0 1 1 0-4 2 2 0 0 1 0 4zm0 7a2 2 0 1 1 0-4 2 2 0 0 1 0 4zm0 7a2 2 0 1 1 0-4 2 2 0 0 1 0 4z',
    person: 'M12 12a4.5 4.5 0 1 1 0-9 4.5 4.5 0 0 1 0 9zm-8 9c0-4 3.6-7 8-7s8 3 8 7H4z',
    list: 'M4 5h16v2H4zm0 6h16v2H4zm0 6h16v2H4z',
    up: 'M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6V3a1.5 1.5 0 0 0-.4-1L13.2 1 7.6 6.6A2 2 0 0 0 7 8v11a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7 .2-.8v-2z',
    down: 'M22 3h-4v12h4V3zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6V21a1.5 1.5 0 0 0 .4 1l1.1 1 5.6-5.6A2 2 0 0 0 17 16V5a2 2 0 0 0-2-2H6a2 2 0 0 0-1.8 1.2l-3 7-.2.8v2z'
  };
  function icon(name) {
    var svg = d.createElementNS('http://www.w3.org/2000/svg', 'svg'), p = d.createElementNS(svg.namespaceURI, 'path');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('class', 'nw-i nw-i-' + name);
    p.setAttribute('d', ICONS[name]);
    svg.appendChild(p);
    return svg;
  }
  /** Text with http(s) links made clickable; every other character stays plain text. */
  function richText(text) {
    var frag = d.createDocumentFragment(), re = /\bhttps?:\/\/[^\s<>"']+/gi, at = 0, m;
    text = String(text == null ? '' : text);
    while ((m = re.exec(text))) {
      var url = m[0].replace(/[.,;:!?»)\]]+$/, ''), ok = false;
      try { ok = /^https?:$/.test(new URL(url).protocol); } catch (e) { ok = false; }
      if (!ok) continue;
      frag.appendChild(d.createTextNode(text.slice(at, m.index)));
      frag.appendChild(h('a', { href: url, target: '_blank', rel: 'noopener noreferrer nofollow', dir: 'ltr', text: url }));
      at = m.index + url.length;
      re.lastIndex = at;
    }
    frag.appendChild(d.createTextNode(text.slice(at)));
    return frag;
  }
  /** Set a localized attribute or text now and again after every language switch. */
  function bind(el, attr, key, vars) { bound.push([el, attr, key, vars]); paintOne(bound[bound.length - 1]); return el; }
  function paintOne(b) {
    var v = typeof b[2] === 'function' ? b[2]() : t(b[2], b[3]);
    if (b[1] === 'text') b[0].textContent = v; else b[0].setAttribute(b[1], v);
  }

  /* ---------- API: JSON over fetch; every optional endpoint fails soft ---------- */
  function call(method, path, body, opt) {
    opt = opt || {};
    var headers = {}, ctl = w.AbortController ? new AbortController() : null;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (opt.auth && st.token) headers['X-Session-Token'] = st.token;
    var timer = ctl && setTimeout(function () { ctl.abort(); }, opt.timeout || 30000);
    return fetch(API + path, {
      method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctl ? ctl.signal : undefined, keepalive: !!opt.keepalive, credentials: 'omit', mode: 'cors'
    }).then(function (r) {
      return r.text().then(function (txt) {
        var j = {};
        try { j = txt ? JSON.parse(txt) : {}; } catch (e) { j = {}; }
        if (!r.ok) {
          var err = new Error((j.error && j.error.message) || 'HTTP ' + r.status);
          err.status = r.status;
          throw err;
        }
        return j;
      });
    }).then(function (j) { clearTimeout(timer); return j; }, function (e) { clearTimeout(timer); throw e; });
  }
  function track(type, label, extra) {
    var body = { session_id: st.sid || null, session_token: st.token || undefined, customer_id: st.cid, event_type: type, label: label == null ? null : String(label).slice(0, 200),
      meta: null, topic_id: null, article_id: null, lang: st.lang };
    for (var k in extra || {}) body[k] = extra[k];
    call('POST', '/analytics/click', body, { keepalive: true, timeout: 10000 }).catch(noop);
  }

  /* ---------- styles (constructed stylesheet: not subject to CSP style-src) ---------- */
  function colour(v, dflt) { return v && w.CSS && CSS.supports('color', v) ? v : dflt; }
  // Colours are variables so that the dark theme (data-theme="dark", or "auto" following
  // prefers-color-scheme) swaps one set; every pair meets WCAG AA, focus rings 3:1 or more.
  var LIGHT = '--bg:#fff;--log:#f5f6f8;--fg:#1f2937;--muted:#4b5563;--line:#e5e7eb;--field:#7b8494;--bubble:#fff;' +
    '--agent-bg:#eef6ff;--agent-line:#cfe0f7;--who:#1e40af;--note-bg:#e9ebef;--note-fg:#374151;--src-bg:#e6f6f3;--src-fg:#115e59;' +
    '--hover:#f3f4f6;--warn-bg:#fff7ed;--warn-fg:#9a3412;--warn-line:#fed7aa;--ok-bg:#ecfdf5;--ok-fg:#065f46;--ok-line:#a7f3d0;' +
    '--err-bg:#fef2f2;--err:#b91c1c;--pfg:var(--p);--star:#6b7280;--shade:rgba(0,0,0,.22)';
  var DARK = '--bg:#111827;--log:#0b1220;--fg:#e5e7eb;--muted:#a5adba;--line:#374151;--field:#7b8494;--bubble:#1f2937;' +
    '--agent-bg:#1e293b;--agent-line:#3b4a61;--who:#93c5fd;--note-bg:#1f2937;--note-fg:#d1d5db;--src-bg:#134e4a;--src-fg:#ccfbf1;' +
    '--hover:#374151;--warn-bg:#431407;--warn-fg:#fed7aa;--warn-line:#7c2d12;--ok-bg:#052e16;--ok-fg:#bbf7d0;--ok-line:#166534;' +
    '--err-bg:#450a0a;--err:#fca5a5;--pfg:#5eead4;--star:#9ca3af;--shade:rgba(0,0,0,.6);--ring:' + colour(cfg.accent, '#93c5fd');
  var CSS_TEXT = ':host{all:initial!important;display:contents!important}' +
    '.nw-root{all:initial;display:block;--p:' + colour(cfg.primary, '#0f766e') + ';--ring:' + colour(cfg.accent, '#1e3a8a') + ';' + LIGHT + ';' +
    'font:14.5px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;color:var(--fg);-webkit-font-smoothing:antialiased}' +
    '.nw-dark{' + DARK + '}@media (prefers-color-scheme:dark){.nw-auto{' + DARK + '}}' +
    '@supports (color:color-mix(in srgb,red,red)){.nw-dark,.nw-auto{--pfgd:color-mix(in srgb,var(--p) 40%,#fff)}.nw-dark{--pfg:var(--pfgd)}@media (prefers-color-scheme:dark){.nw-auto{--pfg:var(--pfgd)}}}' +
    '.nw-root:is([lang=ar],[lang=ckb]){font-family:system-ui,"Segoe UI","Noto Sans Arabic","Noto Naskh Arabic",Tahoma,"Geeza Pro",Arial,sans-serif;font-size:15px;line-height:1.7}' +
    ':where(.nw-root) *,:where(.nw-root) *::before,:where(.nw-root) *::after{box-sizing:border-box;font:inherit;color:inherit;letter-spacing:normal;text-transform:none}' +
    '.nw-root [hidden]{display:none!important}' +
    ':where(.nw-root) button{all:unset;cursor:pointer;box-sizing:border-box}:where(.nw-root) button:disabled,:where(.nw-root) button[aria-disabled=true]{cursor:default}' +
    '.nw-root :focus-visible{outline:3px solid var(--ring);outline-offset:2px}' +
    '.nw-head,.nw-langs,.nw-cust{--ring:#fff}' +
    '.nw-hid{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '.nw-i{width:20px;height:20px;fill:currentColor;flex:none}' +
    '.nw-root[dir=rtl] .nw-i-send{transform:scaleX(-1)}' +
    '.nw-launch{position:fixed;bottom:20px;right:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;background:var(--p);color:#fff;' +
    'display:flex;align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(0,0,0,.25)}' +
    // Two rings, white then dark, so the focus shows on light and dark host pages alike.
    '.nw-root .nw-launch:focus-visible{outline:none;box-shadow:0 0 0 3px #fff,0 0 0 6px #1e3a8a}' +
    '.nw-launch .nw-i{width:28px;height:28px}.nw-left .nw-launch{right:auto;left:20px}' +
    '.nw-launch .nw-i-close,.nw-open .nw-launch .nw-i-chat{display:none}.nw-open .nw-launch .nw-i-close{display:block}' +
    '.nw-badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#dc2626;color:#fff;font-size:12px;line-height:20px;text-align:center;font-weight:700}' +
    '.nw-panel{position:fixed;bottom:92px;right:20px;z-index:2147483000;width:380px;max-width:calc(100vw - 40px);height:620px;max-height:calc(100vh - 112px);' +
    'background:var(--bg);border-radius:16px;box-shadow:0 12px 40px var(--shade);display:flex;flex-direction:column;overflow:hidden}' +
    '.nw-left .nw-panel{right:auto;left:20px}' +
    '.nw-head{background:var(--p);color:#fff;padding:12px 12px 10px;display:flex;align-items:center;gap:10px}' +
    '.nw-avatar{width:38px;height:38px;border-radius:50%;background:rgba(255,255,255,.18);display:flex;align-items:center;justify-content:center;flex:none}' +
    '.nw-ttl{flex:1;min-width:0}.nw-ttl h2{margin:0;font-size:16px;font-weight:700;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}' +
    '.nw-ttl p{margin:0;font-size:12.5px}' +
    '.nw-hbtn{width:34px;height:34px;border-radius:8px;display:flex;align-items:center;justify-content:center}.nw-hbtn:hover{background:rgba(255,255,255,.15)}' +
    '.nw-langs{display:flex;flex-wrap:wrap;gap:6px;padding:0 12px 10px;background:var(--p)}' +
    '.nw-lang{font-size:12.5px;min-height:26px;min-width:44px;text-align:center;padding:2px 10px;border-radius:999px;color:#fff;border:1px solid rgba(255,255,255,.7);display:inline-flex;align-items:center;justify-content:center}' +
    '.nw-lang[aria-pressed=true]{background:#fff;color:var(--p);font-weight:700}' +
    '.nw-menu{position:absolute;top:56px;inset-inline-end:12px;background:var(--bg);border-radius:10px;box-shadow:0 8px 24px var(--shade);padding:6px;z-index:3;min-width:210px}' +
    '.nw-menu button{display:block;width:100%;padding:9px 12px;border-radius:6px;text-align:start}.nw-menu button:hover{background:var(--hover)}' +
    '.nw-banner{padding:9px 14px;font-size:13.5px;display:flex;align-items:center;gap:8px;background:var(--warn-bg);color:var(--warn-fg);border-bottom:1px solid var(--warn-line)}' +
    '.nw-banner.nw-live{background:var(--ok-bg);color:var(--ok-fg);border-color:var(--ok-line)}' +
    '.nw-dot{width:8px;height:8px;border-radius:50%;background:currentColor;flex:none;animation:nw-pulse 1.4s infinite}' +
    '.nw-net{padding:6px 14px;font-size:12.5px;background:var(--err-bg);color:var(--err);text-align:center}' +
    '.nw-body,.nw-main{flex:1;display:flex;flex-direction:column;min-height:0}.nw-body{position:relative}' +
    '.nw-log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:14px;display:flex;flex-direction:column;gap:10px;background:var(--log)}' +
    '.nw-msg{max-width:86%;padding:9px 13px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}' +
    '.nw-bot,.nw-agent{align-self:flex-start;background:var(--bubble);border:1px solid var(--line);border-start-start-radius:4px}' +
    '.nw-agent{background:var(--agent-bg);border-color:var(--agent-line)}' +
    '.nw-cust{align-self:flex-end;background:var(--p);color:#fff;border-start-end-radius:4px}' +
    '.nw-cust a{color:#fff}.nw-msg a{text-decoration:underline;color:var(--pfg)}.nw-cust.nw-pending{opacity:.75}' +
    '.nw-failed{align-self:flex-end;max-width:86%;font-size:12.5px;color:var(--err);display:flex;flex-wrap:wrap;gap:4px 8px;align-items:center}' +
    '.nw-failed button{text-decoration:underline;font-weight:600;min-height:24px;white-space:nowrap}' +
    '.nw-note{align-self:center;max-width:92%;text-align:center;font-size:12.5px;color:var(--note-fg);background:var(--note-bg);padding:6px 14px;border-radius:12px;white-space:pre-wrap;flex:none}' +
    '.nw-who{display:block;font-size:12px;font-weight:700;color:var(--who);margin-bottom:2px}' +
    '.nw-atitle{display:block;font-weight:700;margin-bottom:4px}' +
    '.nw-meta{display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px;margin-top:6px;font-size:12px;color:var(--muted);white-space:normal}' +
    '.nw-src{background:var(--src-bg);color:var(--src-fg);border-radius:999px;padding:1px 8px}' +
    '.nw-fb{display:flex;gap:2px;margin-inline-start:auto}.nw-fb button{width:28px;height:28px;border-radius:6px;display:flex;align-items:center;justify-content:center;color:var(--muted)}' +
    '.nw-fb button:hover{background:var(--hover)}.nw-fb button[aria-pressed=true]{color:var(--pfg);background:var(--src-bg)}.nw-fb .nw-i{width:16px;height:16px}' +
    '.nw-chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;white-space:normal}' +
    '.nw-chip{border:1px solid var(--pfg);color:var(--pfg);background:var(--bubble);border-radius:999px;padding:4px 12px;min-height:28px;font-size:13px;display:inline-flex;align-items:center}.nw-chip:hover{background:var(--hover)}' +
    '.nw-tree{width:86%;white-space:normal}.nw-tree h3{margin:0 0 8px;font-size:14.5px;font-weight:700}' +
    '.nw-crumbs{display:flex;flex-wrap:wrap;align-items:center;gap:2px 6px;font-size:12px;color:var(--muted);margin-bottom:6px}.nw-crumbs>*+*::before{content:"›";margin-inline-end:6px}' +
    '.nw-crumbs button{min-height:24px;text-decoration:underline}.nw-crumbs button:hover{color:var(--fg)}' +
    '.nw-root[dir=rtl] .nw-crumbs>*+*::before{content:"‹"}' +
    '.nw-nodes{display:flex;flex-direction:column;gap:6px}' +
    '.nw-node{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:7px 12px;border:1px solid var(--line);border-radius:10px;background:var(--log)}' +
    '.nw-node:hover{border-color:var(--pfg)}.nw-node::after{content:"›";color:var(--pfg);font-weight:700}.nw-root[dir=rtl] .nw-node::after{content:"‹"}' +
    '.nw-tnav{display:flex;gap:14px;margin-top:8px;font-size:13px;color:var(--pfg);font-weight:600}.nw-tnav button{min-height:24px;min-width:24px}' +
    '.nw-typing{font-size:12.5px;color:var(--muted);padding:0 16px 4px;min-height:4px;background:var(--log)}' +
    '.nw-dots{align-self:flex-start;background:var(--bubble);border:1px solid var(--line);border-radius:16px;padding:10px 14px;display:flex;gap:4px;flex:none}' +
    '.nw-dots i{width:7px;height:7px;border-radius:50%;background:var(--muted);animation:nw-pulse 1.2s infinite}.nw-dots i:nth-child(2){animation-delay:.2s}.nw-dots i:nth-child(3){animation-delay:.4s}' +
    '.nw-foot{border-top:1px solid var(--line);padding:8px 10px calc(10px + env(safe-area-inset-bottom,0px));background:var(--bg)}' +
    '.nw-acts{display:flex;gap:8px;margin-bottom:8px;flex-wrap:wrap}' +
    '.nw-act{display:flex;align-items:center;gap:6px;font-size:13px;padding:5px 10px;min-height:30px;border-radius:999px;background:var(--hover);color:var(--fg)}.nw-act:hover{background:var(--line)}.nw-act .nw-i{width:16px;height:16px}' +
    '.nw-form{display:flex;gap:6px;align-items:flex-end}' +
    '.nw-in{flex:1;min-width:0;resize:none;border:1px solid var(--field);border-radius:12px;padding:9px 12px;background:var(--bg);max-height:120px;min-height:42px;line-height:1.45}' +
    '.nw-root .nw-in:focus-visible{outline:3px solid var(--ring);outline-offset:1px}' +
    '.nw-send,.nw-clip{width:42px;height:42px;border-radius:50%;display:flex;align-items:center;justify-content:center;flex:none}' +
    '.nw-send{background:var(--p);color:#fff}.nw-clip{color:var(--muted)}.nw-clip:hover{background:var(--hover);color:var(--fg)}' +
    '.nw-send:disabled{opacity:.5;cursor:default}.nw-cam{display:none}@media (pointer:coarse){.nw-cam{display:flex}}' +
    '.nw-files{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:8px}' +
    '.nw-file{position:relative;display:flex;align-items:center;gap:6px;max-width:100%;padding:4px;padding-inline-end:30px;border:1px solid var(--line);border-radius:10px;background:var(--log);font-size:12.5px}' +
    '.nw-file img{width:44px;height:44px;object-fit:cover;border-radius:6px;display:block}.nw-file span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:150px}' +
    '.nw-file button{position:absolute;top:2px;inset-inline-end:2px;width:26px;height:26px;border-radius:50%;display:flex;align-items:center;justify-content:center;color:var(--muted)}' +
    '.nw-file button:hover{background:var(--hover);color:var(--fg)}.nw-file .nw-i{width:16px;height:16px}' +
    '.nw-ferr{flex-basis:100%;color:var(--err);font-size:12.5px}' +
    '.nw-att{display:flex;flex-direction:column;gap:6px;margin-bottom:4px}.nw-att a{display:block;color:inherit}' +
    '.nw-att img{display:block;width:auto;height:auto;max-width:100%;max-height:240px;border-radius:10px;background:var(--hover)}' +
    '.nw-doc{display:flex!important;align-items:center;gap:8px;padding:6px 10px;min-height:36px;border-radius:10px;background:rgba(127,127,127,.14);text-decoration:none!important}' +
    '.nw-sheet{position:absolute;inset:0;background:var(--bg);padding:16px;overflow-y:auto;z-index:2}' +
    '.nw-sheet h3{margin:0 0 6px;font-size:16px;font-weight:700}.nw-sheet p{margin:0 0 12px;font-size:13.5px;color:var(--muted)}' +
    '.nw-sheet label{display:block;font-size:13px;font-weight:600;margin:10px 0 4px}' +
    '.nw-sheet input,.nw-sheet textarea,.nw-sheet select{display:block;width:100%;border:1px solid var(--field);border-radius:8px;padding:8px 10px;background:var(--bg);min-height:36px}' +
    '.nw-sheet textarea{min-height:96px;resize:vertical}.nw-row{display:flex;gap:10px;margin-top:14px}' +
    '.nw-btn{padding:8px 16px;border-radius:8px;background:var(--p);color:#fff;font-weight:600}.nw-btn2{padding:8px 16px;border-radius:8px;background:var(--hover)}' +
    '.nw-sheet [aria-invalid=true]{border-color:var(--err)}.nw-alert{color:var(--err);font-size:13px;margin-top:8px}.nw-ok{color:var(--ok-fg);font-size:14px;margin-top:8px}' +
    '.nw-stars{display:flex;gap:4px;margin-top:6px}.nw-stars button{font-size:24px;line-height:1;color:var(--star);padding:2px;min-width:28px;min-height:28px;text-align:center}.nw-stars button:hover,.nw-stars button.nw-on{color:#b45309}' +
    '@keyframes nw-pulse{0%,100%{opacity:.35}50%{opacity:1}}' +
    '@media (prefers-reduced-motion:reduce){.nw-dot,.nw-dots i{animation:none}}' +
    '@media (max-width:520px){.nw-panel,.nw-left .nw-panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0}' +
    '.nw-head{padding-top:calc(10px + env(safe-area-inset-top,0px))}.nw-open .nw-launch{display:none}.nw-in{font-size:16px}}';

  /* ---------- mount ---------- */
  var host, shadow, root, launcher, badge, panel, titleEl, subEl, langBtns = {}, menu, menuBtn, banner, netBar, log, typingEl,
    bodyEl, mainEl, sheet, form, input, sendBtn, personBtn, clipBtn, camBtn, fileIn, camIn, filesEl, picked = [], atBottom = true;

  function mount() {
    host = d.createElement('nura-chat-widget');
    var native = !!host.attachShadow;
    shadow = native ? host.attachShadow({ mode: 'open' }) : host;
    var cssText = native ? CSS_TEXT : CSS_TEXT.replace(/:host/g, 'nura-chat-widget');
    if (native && shadow.adoptedStyleSheets && 'replaceSync' in CSSStyleSheet.prototype) {
      var sheetObj = new CSSStyleSheet();
      sheetObj.replaceSync(cssText);
      shadow.adoptedStyleSheets = [sheetObj];
    } else {
      // Older engines: a <style> element (the host's CSP must allow it via data-nonce); every class is nw- prefixed.
      var styleEl = h('style', { nonce: cfg.nonce || null });
      styleEl.textContent = cssText;
      shadow.appendChild(styleEl);
    }
    var theme = { dark: ' nw-dark', light: '' }[cfg.theme] != null ? { dark: ' nw-dark', light: '' }[cfg.theme] : ' nw-auto';
    root = h('div', { class: 'nw-root' + theme + (cfg.position === 'bottom-left' ? ' nw-left' : '') });
    badge = h('span', { class: 'nw-badge', hidden: true, 'aria-hidden': 'true' });
    launcher = h('button', { type: 'button', class: 'nw-launch', 'aria-expanded': 'false', 'aria-controls': 'nw-panel', onclick: toggle },
      [icon('chat'), icon('close'), badge]);
    bind(launcher, 'aria-label', function () { return isOpen ? t('close') : t('open') + (unread ? ' — ' + t('unread', { n: unread }) : ''); });

    titleEl = h('h2', { id: 'nw-title' });
    bind(titleEl, 'text', function () { return cfg.title || conf.company_name || t('title'); });
    subEl = h('p');
    bind(subEl, 'text', 'sub');
    menuBtn = h('button', { type: 'button', class: 'nw-hbtn nw-menu-btn', 'aria-haspopup': 'true', 'aria-expanded': 'false', onclick: toggleMenu }, icon('more'));
    bind(menuBtn, 'aria-label', 'menu');
    var closeBtn = h('button', { type: 'button', class: 'nw-hbtn nw-close', onclick: close }, icon('close'));
    bind(closeBtn, 'aria-label', 'close');
    var langs = h('div', { class: 'nw-langs', role: 'group' });
    bind(langs, 'aria-label', 'lang');
    LANGS.forEach(function (l) {
      langBtns[l] = h('button', { type: 'button', class: 'nw-lang', lang: l, dir: RTL[l] ? 'rtl' : 'ltr', 'data-lang': l,
        title: LANG_TITLES[l], text: LANG_NAMES[l], onclick: function () { setLang(l, true); } });
      langs.appendChild(langBtns[l]);
    });
    var startBtn = h('button', { type: 'button', class: 'nw-start-over', onclick: function () { hideMenu(); startOver(); } });
    var sugBtn = h('button', { type: 'button', class: 'nw-suggest', onclick: function () { hideMenu(); suggestionForm(); } });
    menu = h('div', { class: 'nw-menu', hidden: true }, [bind(startBtn, 'text', 'startOver'), bind(sugBtn, 'text', 'suggest')]);
    banner = h('div', { class: 'nw-banner', role: 'status', hidden: true });
    netBar = h('div', { class: 'nw-net', role: 'status', hidden: true });
    log = h('div', { class: 'nw-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0',
      onscroll: onLogScroll });
    bind(log, 'aria-label', 'chat');
    typingEl = h('div', { class: 'nw-typing', 'aria-live': 'polite' });
    input = h('textarea', { class: 'nw-in', rows: '1', maxlength: '4000', dir: 'auto', oninput: onInput, onkeydown: onKey, onpaste: onPaste });
    bind(input, 'placeholder', 'placeholder');
    bind(input, 'aria-label', 'placeholder');
    sendBtn = h('button', { type: 'submit', class: 'nw-send' }, icon('send'));
    bind(sendBtn, 'aria-label', 'send');
    // Attachments: a file picker (phones offer camera, gallery and files) and, on touch screens, the camera.
    fileIn = h('input', { type: 'file', class: 'nw-hid', multiple: true, tabindex: '-1', 'aria-hidden': 'true', onchange: onPick });
    camIn = h('input', { type: 'file', class: 'nw-hid', accept: 'image/*', capture: 'environment', tabindex: '-1', 'aria-hidden': 'true', onchange: onPick });
    clipBtn = h('button', { type: 'button', class: 'nw-clip', hidden: true, onclick: function () { fileIn.click(); } }, icon('clip'));
    camBtn = h('button', { type: 'button', class: 'nw-clip nw-cam', hidden: true, onclick: function () { camIn.click(); } }, icon('camera'));
    bind(clipBtn, 'aria-label', 'attach');
    bind(clipBtn, 'title', 'attach');
    bind(camBtn, 'aria-label', 'camera');
    filesEl = h('div', { class: 'nw-files', role: 'group', hidden: true });
    bind(filesEl, 'aria-label', 'preview');
    form = h('form', { class: 'nw-form', onsubmit: onSubmit }, [clipBtn, camBtn, input, sendBtn, fileIn, camIn]);
    var topicsBtn = h('button', { type: 'button', class: 'nw-act nw-topics', onclick: function () { showTree(); } }, [icon('list'), bind(h('span'), 'text', 'topics')]);
    personBtn = h('button', { type: 'button', class: 'nw-act nw-person', onclick: askPerson }, [icon('person'), bind(h('span'), 'text', 'person')]);
    mainEl = h('div', { class: 'nw-main' }, [log, typingEl, h('div', { class: 'nw-foot' }, [h('div', { class: 'nw-acts' }, [topicsBtn, personBtn]), filesEl, form])]);
    bodyEl = h('div', { class: 'nw-body' }, mainEl);
    panel = h('section', { class: 'nw-panel', id: 'nw-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'nw-title', hidden: true, onkeydown: onPanelKey }, [
      h('div', { class: 'nw-head' }, [h('div', { class: 'nw-avatar' }, icon('chat')), h('div', { class: 'nw-ttl' }, [titleEl, subEl]), menuBtn, closeBtn]),
      langs, menu, banner, netBar, bodyEl
    ]);
    root.appendChild(launcher);
    root.appendChild(panel);
    shadow.appendChild(root);
    paintLang();
    d.body.appendChild(host);
    if (ns.loaderHost && ns.loaderHost.parentNode) ns.loaderHost.parentNode.removeChild(ns.loaderHost);
    w.addEventListener('online', function () { net(null); reconnectSoon(0); });
    w.addEventListener('offline', function () { net('offline'); });
    w.addEventListener('storage', onStorage);
    panel.addEventListener('dragover', function (e) { if ((conf.attachments || {}).enabled) e.preventDefault(); });
    panel.addEventListener('drop', onDrop);
    panel.addEventListener('click', function (e) {
      if (!menu.hidden && !menu.contains(e.target) && !menuBtn.contains(e.target)) hideMenu();
    });
    // Keep the newest message in view when the log shrinks (a banner or the file strip appears,
    // the phone keyboard opens): the hand-off notice must not end up cut off below the fold.
    if (w.ResizeObserver) new ResizeObserver(function () { if (atBottom) scrollDown(); }).observe(log);
  }

  function paintLang() {
    root.setAttribute('lang', st.lang);
    root.setAttribute('dir', RTL[st.lang] ? 'rtl' : 'ltr');
    LANGS.forEach(function (l) {
      langBtns[l].setAttribute('aria-pressed', String(l === st.lang));
      langBtns[l].hidden = (conf.languages || LANGS).indexOf(l) < 0;
    });
    bound.forEach(paintOne);
    personBtn.hidden = !conf.handoff_enabled;
    var att = conf.attachments || {};
    clipBtn.hidden = camBtn.hidden = !att.enabled;
    fileIn.setAttribute('accept', (att.types || []).join(','));
    showBanner();
  }

  /* ---------- open / close, keyboard ---------- */
  function toggle() { if (isOpen) close(); else open(); }
  // quiet: opened by the page loading (auto-open, or restored open from the previous page), not
  // by the customer: the widget shows but leaves the keyboard focus where the host page has it.
  function open(quiet) {
    if (isOpen) return;
    isOpen = true;
    panel.hidden = false;
    root.classList.add('nw-open');
    launcher.setAttribute('aria-expanded', 'true');
    unread = 0;
    showBadge();
    st.open = true;
    save();
    track('open');
    emit('open', {});
    boot();
    connect();
    if (quiet !== true) setTimeout(function () { input.focus(); }, 30);
  }
  function close() {
    if (!isOpen) return;
    isOpen = false;
    panel.hidden = true;
    hideMenu();
    root.classList.remove('nw-open');
    launcher.setAttribute('aria-expanded', 'false');
    showBadge();
    st.open = false;
    st.dismissed = true;
    save();
    track('close');
    emit('close', {});
    if (!isLive()) disconnect();
    launcher.focus();
  }
  function focusables() {
    return [].filter.call(panel.querySelectorAll('button,textarea,input,select,a[href],[tabindex]'), function (el) {
      return !el.disabled && el.getAttribute('tabindex') !== '-1' && el.getClientRects().length > 0 && !el.closest('[inert]');
    });
  }
  function onPanelKey(e) {
    if (e.key === 'Escape') {
      e.stopPropagation();
      if (sheet) closeSheet(); else if (!menu.hidden) { hideMenu(); menuBtn.focus(); } else close();
      return;
    }
    if (e.key !== 'Tab') return;
    // Focus trap: Tab and Shift+Tab cycle inside the open panel.
    var f = focusables(), cur = shadow.activeElement;
    if (!f.length) return;
    if (e.shiftKey && (cur === f[0] || f.indexOf(cur) < 0)) { f[f.length - 1].focus(); e.preventDefault(); }
    else if (!e.shiftKey && cur === f[f.length - 1]) { f[0].focus(); e.preventDefault(); }
  }
  function toggleMenu() {
    var show = menu.hidden;
    menu.hidden = !show;
    menuBtn.setAttribute('aria-expanded', String(show));
    if (show) menu.querySelector('button').focus();
  }
  function hideMenu() { menu.hidden = true; menuBtn.setAttribute('aria-expanded', 'false'); }
  function showBadge() {
    badge.hidden = !unread;
    badge.textContent = unread > 9 ? '9+' : String(unread);
    paintOne(bound[0]);
  }
  function net(state) {
    netBar.hidden = !state;
    if (state) netBar.textContent = t(state);
  }

  /* ---------- first open: config, transcript or welcome ---------- */
  function boot() {
    if (booted) return;
    booted = true;
    // The welcome names the assistant from the config, so wait for it briefly; without it the defaults apply.
    call('GET', '/widget/config', undefined, { timeout: 4000 }).then(function (c) {
      for (var k in c) conf[k] = c[k];
      if (!Array.isArray(conf.languages) || !conf.languages.length) conf.languages = LANGS;
      if (conf.languages.indexOf(st.lang) < 0) {
        // A server without this language: Sorani readers read Arabic script; others get the server's default.
        st.lang = st.lang === 'ckb' && conf.languages.indexOf('ar') >= 0 ? 'ar' : langOf(conf.default_lang) || conf.languages[0];
        save();
      }
      paintLang();
    }).catch(noop).then(function () { if (st.sid) restore(); else welcome(); });
  }
  function welcome() {
    // The greeting is part of the widget, not of the transcript: it follows a language switch.
    var el = addMsg('bot', '');
    bind(el.querySelector('.nw-text'), 'text', function () { return t('welcome', { agent: conf.agent_name || 'Nura' }); });
    showTree();
  }
  function restore() {
    var box = addNote(t('botTyping'));
    call('GET', '/session/' + enc(st.sid) + '/messages', undefined, { auth: true }).then(function (r) {
      box.remove();
      restoring = true; // history, not news: no 'message' events for the host page
      (r.messages || []).forEach(renderServer);
      restoring = false;
      if (!(r.messages || []).length) welcome();
      setStatus(r.status);
    }, function (e) {
      box.remove();
      if (e.status === 401 || e.status === 403 || e.status === 404) { forget(); welcome(); return; }
      var n = addNote(t('loadFail') + ' ');
      n.appendChild(h('button', { type: 'button', class: 'nw-chip', text: t('retry'), onclick: function () { n.remove(); booted = true; restore(); } }));
    });
  }
  function forget() {
    disconnect();
    st.sid = st.token = null;
    st.status = 'bot';
    st.rated = false;
    save();
    seen = {};
    lastId = 0;
    lastEventId = 0;
    showBanner();
  }
  function startOver() {
    track('start_over');
    resetLog();
    input.focus();
  }
  function resetLog() {
    forget();
    while (log.firstChild) log.removeChild(log.firstChild);
    treeCard = null;
    welcome();
  }
  function onStorage(e) {
    // Another tab started or continued a conversation: follow it.
    if (e.key !== KEY || !e.newValue) return;
    var other;
    try { other = JSON.parse(e.newValue); } catch (x) { return; }
    if (other.sid && other.sid !== st.sid) {
      disconnect();
      st.sid = other.sid;
      st.token = other.token;
      seen = {};
      lastId = 0;
      while (log.firstChild) log.removeChild(log.firstChild);
      treeCard = null;
      if (booted) restore();
    }
  }

  /* ---------- messages ---------- */
  // atBottom: the reader follows the newest message. Set by our own scrolling here, and by the
  // reader's scrolling in the log's scroll handler (a scroll event for a position we set is ours).
  var ourTop = -1;
  function scrollDown() { log.scrollTop = log.scrollHeight; ourTop = log.scrollTop; atBottom = true; }
  function onLogScroll() {
    if (Math.abs(log.scrollTop - ourTop) < 2) return;
    atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
  }
  /** Scroll to a new bot element; when it is long, show its beginning (and what came just before). */
  function reveal(el) {
    scrollDown();
    if (el.offsetHeight > log.clientHeight * 0.7) {
      log.scrollTop += el.getBoundingClientRect().top - log.getBoundingClientRect().top - 56;
      ourTop = log.scrollTop;
      atBottom = false;
    }
  }
  function addNote(text) {
    var el = h('div', { class: 'nw-note', dir: 'auto', text: text });
    log.appendChild(el);
    scrollDown();
    return el;
  }
  /** A chat bubble; role is customer, bot or agent. */
  function addMsg(role, text, m) {
    m = m || {};
    var cls = role === 'customer' ? 'nw-cust' : role === 'agent' ? 'nw-agent' : 'nw-bot';
    var el = h('div', { class: 'nw-msg ' + cls, 'data-role': role });
    if (m.id) el.setAttribute('data-id', m.id);
    if (role === 'agent') el.appendChild(h('span', { class: 'nw-who', dir: 'auto', text: m.sender_name || t('src_agent') }));
    if (m.title) el.appendChild(h('span', { class: 'nw-atitle', dir: 'auto', text: m.title }));
    var files = m.attachments || [];
    if (files.length) el.appendChild(attachmentsEl(files));
    // "(photo)" is the agents' placeholder for a file without a caption: the file itself says it.
    var shown = files.length && /^\((photos?|documents?|files)\)$/.test(text) ? '' : text;
    el.appendChild(h('span', { class: 'nw-text', dir: 'auto', hidden: files.length && !shown ? true : null }, richText(shown)));
    if (role === 'bot' && m.source) addMeta(el, m);
    if (role === 'bot' && m.kind === 'attachment_reply' && conf.handoff_enabled && !isLive()) {
      el.appendChild(h('div', { class: 'nw-chips' }, bind(h('button', { type: 'button', class: 'nw-chip', onclick: askPerson }), 'text', 'person')));
    }
    log.appendChild(el);
    if (role === 'customer') scrollDown(); else reveal(el);
    if ((text || files.length) && !restoring) emit('message', { role: role, text: text, id: m.id || null, attachments: files });
    return el;
  }
  /** Photos inline and PDFs as links; the file is fetched with the session token and shown from a blob: URL. */
  function attachmentsEl(files) {
    var box = h('div', { class: 'nw-att' });
    files.forEach(function (f) {
      var label = t('attOpen', { name: f.name || t('photo') });
      var link = h('a', { href: '#', target: '_blank', rel: 'noopener noreferrer', 'aria-label': label, title: f.name || '' });
      if (f.kind === 'pdf') link.appendChild(h('span', { class: 'nw-doc' }, [icon('doc'), h('span', { dir: 'auto', text: f.name + ' · ' + size(f.size) })]));
      else link.appendChild(h('img', { alt: f.name || t('photo'), width: f.width || null, height: f.height || null }));
      box.appendChild(link);
      if (f.url) blobOf(f).then(function (url) {
        link.setAttribute('href', url);
        var img = link.querySelector('img');
        if (img) img.setAttribute('src', url);
      }, noop);
      link.addEventListener('click', function (e) { if (link.getAttribute('href') === '#') e.preventDefault(); });
    });
    return box;
  }
  var blobs = {};
  function blobOf(f) {
    if (!blobs[f.id]) {
      var url = f.url && f.url.charAt(0) === '/' ? API.replace(/\/v1$/, '') + f.url : f.url;
      blobs[f.id] = fetch(url, { headers: { 'X-Session-Token': st.token || '' }, credentials: 'omit', mode: 'cors' })
        .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.blob(); })
        .then(function (b) { return URL.createObjectURL(b); });
      blobs[f.id].catch(function () { delete blobs[f.id]; });
    }
    return blobs[f.id];
  }
  function size(n) { return n >= 1e6 ? (n / 1e6).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1e3)) + ' KB'; }
  function sourceLabel(src) {
    return t({ openai: 'src_ai', local_llm: 'src_ai', tree: 'src_tree', rules: 'src_rules', article: 'src_article', rag: 'src_rag',
      agent: 'src_agent' }[src] || 'src_fallback');
  }
  function handbookSection(m) {
    // A handbook answer names the section it quotes (the last part of the chunk's heading path).
    var chunk = (m.sources || []).filter(function (s) { return s && s.kind === 'chunk' && s.title; })[0];
    return m.source === 'rag' && chunk ? ' · ' + String(chunk.title).split('\u203a').pop().trim() : '';
  }
  function addMeta(el, m) {
    var meta = h('div', { class: 'nw-meta' }, [h('span', { class: 'nw-src', text: t('source', { s: sourceLabel(m.source) + handbookSection(m) }) })]);
    // No confidence percentage for customers ("99%" beside a wrong answer misleads); agents see it.
    if (m.id && st.sid) {
      var fb = h('div', { class: 'nw-fb' });
      ['up', 'down'].forEach(function (v) {
        fb.appendChild(h('button', { type: 'button', class: 'nw-' + v, 'aria-pressed': 'false', 'aria-label': t(v), title: t(v),
          onclick: function () { feedback(m.id, v, fb); } }, icon(v)));
      });
      meta.appendChild(fb);
    }
    el.appendChild(meta);
    var qr = m.quick_replies || [];
    if (qr.length) {
      var chips = h('div', { class: 'nw-chips' });
      qr.forEach(function (q) {
        chips.appendChild(h('button', { type: 'button', class: 'nw-chip', dir: 'auto', text: q.title, onclick: function () {
          track('quick_reply', q.title, { article_id: q.article_id });
          addMsg('customer', q.title);
          showArticle(q.article_id);
        } }));
      });
      el.appendChild(chips);
    }
  }
  function markSeen(id) { if (id) { seen[id] = true; if (+id > lastId) lastId = +id; } }
  /** One transcript message from the server (transcript, SSE or catch-up), shown once. */
  function renderServer(m) {
    if (!m || (m.id && seen[m.id])) return;
    markSeen(m.id);
    if (m.role === 'customer') {
      var mine = [].filter.call(log.querySelectorAll('.nw-cust:not([data-id])'), function (el) {
        return el.querySelector('.nw-text').textContent === m.text;
      })[0];
      if (mine) { mine.setAttribute('data-id', m.id); return; }
      addMsg('customer', m.text, m);
    } else if (m.role === 'system' && m.sender_name && m.kind === 'status') {
      st.agent = m.sender_name; // "Omar joined the conversation": the display name for the banner
      save();
      showBanner();
      addNote(m.text);
    } else if (m.role === 'agent') {
      agentTyping(false);
      if (m.sender_name && m.sender_name !== st.agent) { st.agent = m.sender_name; save(); showBanner(); }
      addMsg('agent', m.text, m);
      if (!isOpen) { unread++; showBadge(); }
    } else if (echoes[m.text]) {
      delete echoes[m.text]; // already shown from the answer to our own request
    } else if (m.role === 'bot') addMsg('bot', m.text, m);
    else addNote(m.text);
  }

  /* ---------- sending ---------- */
  function onKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); onSubmit(e); }
  }
  function onInput() {
    input.setAttribute('rows', String(Math.min(4, input.value.split('\n').length)));
    if (!st.sid || !LIVE.test(st.status || '') || typingOff || Date.now() - typingAt < 2000) return;
    typingAt = Date.now();
    call('POST', '/session/' + enc(st.sid) + '/typing', { sender: 'customer', text: input.value.slice(0, 500) }, { auth: true })
      .catch(function (e) { if (e.status === 404 || e.status === 405) typingOff = true; });
  }
  function onSubmit(e) {
    if (e) e.preventDefault();
    var text = input.value.trim();
    if (picked.length) { sendFiles(picked.splice(0), text); input.value = ''; renderPicked(); return; }
    if (!text) return;
    input.value = '';
    input.setAttribute('rows', '1');
    queueSend(text);
  }

  /* ---------- attachments: pick, preview, send ---------- */
  /** Files pasted into the message box or dropped on the panel join the picked ones. */
  function onPaste(e) {
    var files = e.clipboardData && e.clipboardData.files;
    if (files && files.length && (conf.attachments || {}).enabled) { e.preventDefault(); onPick({ target: { files: files } }); }
  }
  function onDrop(e) {
    var files = e.dataTransfer && e.dataTransfer.files;
    if (!files || !files.length) return;
    e.preventDefault();
    if ((conf.attachments || {}).enabled) onPick({ target: { files: files } });
  }
  function onPick(e) {
    var att = conf.attachments || {}, max = att.max_bytes || 1e7, errs = [];
    [].forEach.call(e.target.files || [], function (f) {
      var okType = /^(image\/(jpeg|png|webp|heic|heif)|application\/pdf)$/.test(f.type) || /\.(jpe?g|png|webp|heic|heif|pdf)$/i.test(f.name);
      if (!okType) errs.push(t('attType', { name: f.name }));
      else if (f.size > max) errs.push(t('attTooBig', { name: f.name, mb: Math.round(max / 1e5) / 10 }));
      else if (picked.length >= (att.max_files || 4)) errs.push(t('attTooMany', { n: att.max_files || 4 }));
      else picked.push({ file: f, url: /^image\/(jpeg|png|webp)$/.test(f.type) ? URL.createObjectURL(f) : null });
    });
    if ('value' in e.target) e.target.value = '';
    renderPicked(errs);
    input.focus();
  }
  function renderPicked(errs) {
    while (filesEl.firstChild) filesEl.removeChild(filesEl.firstChild);
    picked.forEach(function (p, i) {
      var rm = h('button', { type: 'button', 'aria-label': t('remove', { name: p.file.name }), onclick: function () {
        if (p.url) URL.revokeObjectURL(p.url);
        picked.splice(i, 1);
        renderPicked();
        (filesEl.querySelector('button') || input).focus();
      } }, icon('close'));
      filesEl.appendChild(h('div', { class: 'nw-file' }, [p.url ? h('img', { src: p.url, alt: '' }) : icon('doc'),
        h('span', { dir: 'auto', text: p.file.name }), rm]));
    });
    (errs || []).forEach(function (m) { filesEl.appendChild(h('div', { class: 'nw-ferr', role: 'alert', text: m })); });
    filesEl.hidden = !filesEl.firstChild;
    if (atBottom) scrollDown();
  }
  function sendFiles(items, caption) {
    var bubble = addMsg('customer', caption || '', { attachments: items.map(function (p) {
      return { id: 'local-' + rand(), kind: /pdf/.test(p.file.type) ? 'pdf' : 'jpeg', name: p.file.name, size: p.file.size };
    }) });
    [].forEach.call(bubble.querySelectorAll('img'), function (img, i) { if (items[i] && items[i].url) img.setAttribute('src', items[i].url); });
    bubble.classList.add('nw-pending');
    sending = sending.then(function () {
      var fd = new FormData();
      items.forEach(function (p) { fd.append('file', p.file, p.file.name); });
      if (caption) fd.append('caption', caption);
      fd.append('lang', st.lang);
      if (!st.sid) {
        var idb = who({}, true);
        if (idb.customer_id) fd.append('customer_id', idb.customer_id);
        if (idb.customer_signature) fd.append('customer_signature', idb.customer_signature);
        if (idb.customer) fd.append('customer', JSON.stringify(idb.customer));
      }
      var path = st.sid ? '/session/' + enc(st.sid) + '/attachments' : '/attachments';
      return holding(fetch(API + path, { method: 'POST', body: fd, headers: st.sid ? { 'X-Session-Token': st.token || '' } : {},
        credentials: 'omit', mode: 'cors' }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) { if (!r.ok) { var er = new Error('HTTP'); er.status = r.status; er.code = (j.error || {}).code; throw er; } return j; });
      })).then(function (r) {
        adopt(r);
        bubble.classList.remove('nw-pending');
        var m = r.message || {};
        bubble.setAttribute('data-id', m.id);
        markSeen(m.id);
        (m.attachments || []).forEach(function (a, i) { if (items[i] && items[i].url) blobs[a.id] = Promise.resolve(items[i].url); });
        if (r.reply) { markSeen(r.reply.id); addMsg('bot', r.reply.text, r.reply); }
        setStatus(r.status);
      }, function (e) {
        if ((e.status === 401 || e.status === 403 || e.status === 404) && /^session/.test(e.code || '') && st.sid) {
          // The stored session is gone (expired or wiped): send the files in a fresh one.
          forget();
          bubble.remove();
          sendFiles(items, caption);
          return;
        }
        bubble.classList.remove('nw-pending');
        var msg = e.status === 429 ? t('busy') : e.code === 'attachment_too_large' ? t('attTooBig', { name: items[0].file.name, mb: Math.round(((conf.attachments || {}).max_bytes || 1e7) / 1e5) / 10 })
          : /type|rejected|damaged|heic/.test(e.code || '') ? t('attType', { name: items[0].file.name }) : t('attFail');
        var fail = h('div', { class: 'nw-failed', role: 'alert' }, [h('span', { text: msg })]);
        if (!e.code) fail.appendChild(h('button', { type: 'button', class: 'nw-retry', text: t('retry'), onclick: function () { fail.remove(); bubble.remove(); sendFiles(items, caption); } }));
        bubble.after(fail);
        scrollDown();
      }).then(release);
    });
  }
  function queueSend(text, bubble) {
    sending = sending.then(function () { return sendNow(text, bubble); });
  }
  function adopt(r) {
    if (r.session_id && r.session_id !== st.sid) { st.sid = r.session_id; st.rated = false; st.idSent = userKey(); }
    if (r.session_token) st.token = r.session_token;
    save();
  }
  /** The identity fields of a request: the host's customer, else (unless ids must be signed) the
   * anonymous widget id; the profile goes with the request that starts a session. */
  function who(body, first) {
    var id = user && user.id ? user.id : conf.identity_verification ? null : st.cid;
    if (id) body.customer_id = id;
    if (user && user.signature) body.customer_signature = user.signature;
    if (first && user) body.customer = profile();
    return body;
  }
  function profile() {
    return { name: user.name || null, phone: user.phone || null, email: user.email || null, attributes: user.attributes || null };
  }
  function userKey() { return user ? JSON.stringify(user) : ''; }
  /** setUser during a conversation: tell the server once per session and identity. */
  function sendIdentity() {
    if (!st.sid || st.idSent === userKey()) return;
    st.idSent = userKey();
    save();
    var body = user ? who({ customer: profile() }, false) : { customer_id: null, customer: {} };
    call('POST', '/session/' + enc(st.sid) + '/identity', body, { auth: true }).catch(noop);
  }
  function sendNow(text, bubble) {
    bubble = bubble || addMsg('customer', text);
    bubble.classList.add('nw-pending');
    var dots = isLive() ? null : h('div', { class: 'nw-dots', role: 'status', 'aria-label': t('botTyping') }, [h('i'), h('i'), h('i')]);
    if (dots) { log.appendChild(dots); scrollDown(); }
    var body = who({ session_id: st.sid || null, session_token: st.token || undefined, channel: 'web', message: text, lang: st.lang }, !st.sid);
    return holding(call('POST', '/message', body, { timeout: 45000 })).then(function (r) {
      adopt(r);
      clearStreams();
      bubble.classList.remove('nw-pending');
      if (r.status && LIVE.test(r.status) && !r.response) bubble.setAttribute('data-id', r.message_id);
      else {
        markSeen(r.message_id);
        addMsg('bot', r.response, { id: r.message_id, source: r.source, sources: r.sources, confidence: r.confidence, quick_replies: r.quick_replies });
      }
      markSeen(r.message_id);
      setStatus(r.status);
    }, function (e) {
      if ((e.status === 401 || e.status === 403 || e.status === 404) && st.sid) {
        // The stored session is gone (expired or wiped): continue in a fresh one.
        forget();
        return sendNow(text, bubble);
      }
      clearStreams();
      bubble.classList.remove('nw-pending');
      var fail = h('div', { class: 'nw-failed', role: 'alert' }, [h('span', { text: e.status === 429 ? t('busy') : t('error') })]);
      fail.appendChild(h('button', { type: 'button', class: 'nw-retry', text: t('retry'), onclick: function () { fail.remove(); queueSend(text, bubble); } }));
      bubble.after(fail);
      scrollDown();
    }).then(function () {
      if (dots) dots.remove();
      release();
    });
  }
  /** Hold live events while a request whose answer they may repeat is under way (see release). */
  function holding(promise) { inFlight++; return promise; }
  function release() {
    inFlight--;
    if (!inFlight) held.splice(0).forEach(function (f) { f(); });
  }

  /* ---------- hand-off, status, live events ---------- */
  function isLive() { return !!st.sid && LIVE.test(st.status || ''); }
  var asking = false;
  function askPerson() {
    if (asking) return;
    track('handoff_button');
    if (isLive()) { showBanner(); return; }
    var body = who({ session_id: st.sid || null, session_token: st.token || undefined, channel: 'web', reason: 'button', lang: st.lang }, !st.sid);
    // aria-disabled, not disabled: a disabled button drops the keyboard focus to <body>.
    asking = true;
    personBtn.setAttribute('aria-disabled', 'true');
    holding(call('POST', '/handoff/direct', body, { timeout: 20000 })).then(function (r) {
      adopt(r);
      if (r.response) { echoes[r.response] = true; addNote(r.response); }
      setStatus(r.status || (r.escalated ? 'pending_handoff' : st.status));
      if (r.offline) offlineForm();
    }, function (e) {
      // Without the hand-off endpoint the message pipeline still understands a request for a person.
      if (e.status === 404 || e.status === 405) queueSend(t('personMsg'));
      else if (e.status === 401 || e.status === 403) { forget(); queueSend(t('personMsg')); }
      else addNote(t('error'));
    }).then(function () {
      asking = false;
      personBtn.removeAttribute('aria-disabled');
      // Next the customer writes to the agent (or fills in the offline form, which took the focus).
      if (!sheet && (shadow.activeElement === personBtn || !shadow.activeElement)) input.focus();
      release();
    });
  }
  function showBanner() {
    if (!banner) return;
    var s = st.sid ? st.status : null;
    banner.hidden = !LIVE.test(s || '');
    banner.classList.toggle('nw-live', s === 'human_active');
    while (banner.firstChild) banner.removeChild(banner.firstChild);
    if (banner.hidden) return;
    banner.appendChild(h('span', { class: 'nw-dot', 'aria-hidden': 'true' }));
    banner.appendChild(h('span', { dir: 'auto', text: s === 'human_active' ? t('withAgent', { agent: st.agent || t('agent') }) : t('waiting') }));
  }
  function setStatus(status, agent, displayName) {
    if (!status) return;
    var before = st.status;
    st.status = status;
    // `agent` is the username, which customers never see: the banner shows the display name (from
    // the status event or the agent's messages), else "a support agent"; reset when the chat moves.
    if (agent && agent !== st.agentId) { st.agentId = agent; st.agent = null; }
    if (displayName) st.agent = displayName;
    save();
    showBanner();
    if (wantStream()) connect(); else disconnect();
    if (status === 'resolved' && LIVE.test(before || '') && !st.rated) ratingCard();
    if (status !== before && status === 'pending_handoff') emit('handoff', { session_id: st.sid });
    if (status !== before && status === 'human_active') emit('agent_joined', { session_id: st.sid, name: st.agent || null });
  }
  /** Streamed AI tokens: a provisional bubble that the answer of record replaces. */
  function onToken(data) {
    var el = streams[data.stream_id];
    if (data.reset || (data.done && !data.accepted)) { if (el) el.remove(); delete streams[data.stream_id]; return; }
    if (data.done || typeof data.delta !== 'string') return;
    if (!el) {
      [].forEach.call(log.querySelectorAll('.nw-dots'), function (x) { x.remove(); });
      el = streams[data.stream_id] = addMsg('bot', '');
      el.classList.add('nw-streaming');
      el.setAttribute('aria-busy', 'true');
    }
    el.querySelector('.nw-text').textContent += data.delta;
    scrollDown();
  }
  function clearStreams() {
    for (var k in streams) streams[k].remove();
    streams = {};
  }
  /** The stream is open while a person is involved, or while the panel is open (streamed answers). */
  function wantStream() { return !!st.sid && (isLive() || isOpen); }
  function connect() {
    if (es || !wantStream()) return;
    if (!w.EventSource) { reconnectSoon(5000); return; }
    var url = API + '/session/' + enc(st.sid) + '/stream?session_token=' + enc(st.token || '') + (lastEventId ? '&last_event_id=' + lastEventId : '');
    var src = es = new EventSource(url);
    src.addEventListener('open', function () { retryN = 0; net(null); });
    src.addEventListener('message', live(function (data) { renderServer(data.message); }));
    src.addEventListener('status', live(function (data) { setStatus(data.status, data.assigned_agent, data.display_name); }));
    src.addEventListener('typing', live(function (data) { if (data.sender === 'agent') agentTyping(data.active !== false); }));
    src.addEventListener('token', function (ev) { try { onToken(JSON.parse(ev.data)); } catch (x) { /* malformed */ } });
    src.addEventListener('reset', live(function () { reconnectSoon(0, true); }));
    src.onerror = function () {
      if (src.readyState === 2) { if (es === src) es = null; reconnectSoon(); }
      else if (w.navigator.onLine !== false) net('reconnecting');
    };
  }
  /** An SSE handler that parses the event, remembers its id and waits while a send is in flight. */
  function live(fn) {
    return function (ev) {
      if (ev.lastEventId) lastEventId = +ev.lastEventId || lastEventId;
      var data;
      try { data = JSON.parse(ev.data); } catch (x) { return; }
      net(null);
      if (inFlight) held.push(function () { fn(data); }); else fn(data);
    };
  }
  function disconnect() {
    if (es) { es.close(); es = null; }
    clearTimeout(retryTimer);
    agentTyping(false);
  }
  function reconnectSoon(delay, keep) {
    clearTimeout(retryTimer);
    if (!wantStream()) return;
    // Back off 1 s, 2 s, 4 s … up to 15 s; each attempt first fetches what was missed, which also
    // keeps agent replies coming by polling when the stream endpoint is unavailable.
    var wait = delay != null ? delay : Math.min(15000, 1000 * Math.pow(2, retryN++));
    retryTimer = setTimeout(function () {
      if (!wantStream()) return;
      call('GET', '/session/' + enc(st.sid) + '/messages?after=' + lastId, undefined, { auth: true }).then(function (r) {
        (r.messages || []).forEach(renderServer);
        setStatus(r.status);
        if (!keep) connect();
      }, function (e) {
        if (e.status === 401 || e.status === 403 || e.status === 404) forget(); else reconnectSoon();
      });
    }, wait);
  }
  function agentTyping(on) {
    clearTimeout(agentTypingTimer);
    if (!typingEl) return;
    typingEl.textContent = on ? t('typing', { name: st.agent || t('agent') }) : '';
    if (on) agentTypingTimer = setTimeout(function () { agentTyping(false); }, 8000);
  }

  /* ---------- feedback and rating ---------- */
  function feedback(id, value, box) {
    [].forEach.call(box.querySelectorAll('button'), function (b) {
      b.disabled = true;
      b.setAttribute('aria-pressed', String(b.classList.contains('nw-' + value)));
    });
    input.focus(); // the pressed button is now disabled: keep the focus in the chat, not on <body>
    track('feedback', value, { meta: String(id) });
    var after = function (r) {
      if (r && r.escalated && r.response) {
        // Bad feedback handed the chat to a person (HANDOFF_TRIGGERS=bad_feedback).
        echoes[r.response] = true;
        addNote(r.response);
        setStatus(r.status);
        if (r.offline) offlineForm();
        return;
      }
      if (value === 'up' || isLive()) { addNote(t('fbThanks')); return; }
      var el = addMsg('bot', t('fbSorry'));
      if (conf.handoff_enabled) el.appendChild(h('div', { class: 'nw-chips' }, h('button', { type: 'button', class: 'nw-chip', text: t('person'), onclick: askPerson })));
    };
    holding(call('POST', '/session/' + enc(st.sid) + '/feedback', { message_id: id, value: value }, { auth: true }))
      .then(after, function () { after(null); }).then(release);
  }
  function ratingCard() {
    var card = addMsg('bot', t('rateAsk')), stars = h('div', { class: 'nw-stars', role: 'group' });
    [1, 2, 3, 4, 5].forEach(function (n) {
      stars.appendChild(h('button', { type: 'button', 'aria-label': t('rateN', { n: n }), text: '★', onclick: function () {
        [].forEach.call(stars.children, function (b, i) { b.disabled = true; b.classList.toggle('nw-on', i < n); });
        input.focus();
        st.rated = true;
        save();
        call('POST', '/session/' + enc(st.sid) + '/rating', { score: n }, { auth: true }).catch(noop);
        addNote(t('rated'));
      } }));
    });
    card.appendChild(stars);
  }

  /* ---------- topic tree and articles ---------- */
  function getTree(lang) {
    if (!trees[lang]) trees[lang] = call('GET', '/topic-tree?lang=' + lang).then(function (r) { return r.tree; });
    trees[lang].catch(function () { delete trees[lang]; });
    return trees[lang];
  }
  function showTree() {
    if (treeCard) treeCard.remove();
    treeCard = h('div', { class: 'nw-msg nw-bot nw-tree', role: 'navigation' });
    treePath = [];
    log.appendChild(treeCard);
    renderTree();
  }
  function renderTree(focus) {
    var card = treeCard, lang = st.lang;
    getTree(lang).then(function (tree) {
      if (card !== treeCard) return;
      while (card.firstChild) card.removeChild(card.firstChild);
      card.setAttribute('aria-label', t('topics'));
      if (!tree || !tree.children || !tree.children.length) { card.appendChild(h('span', { text: t('noTopics') })); return; }
      var node = tree, trail = [];
      treePath.forEach(function (id) {
        var next = (node.children || []).filter(function (c) { return c.id === id; })[0];
        if (next) { node = next; trail.push(next); }
      });
      if (trail.length) {
        var crumbs = h('nav', { class: 'nw-crumbs', 'aria-label': t('crumbs') }, h('button', { type: 'button', text: t('home'),
          onclick: function () { treePath = []; renderTree(true); } }));
        trail.forEach(function (n, i) {
          crumbs.appendChild(i === trail.length - 1 ? h('span', { dir: 'auto', 'aria-current': 'location', text: n.label })
            : h('button', { type: 'button', dir: 'auto', text: n.label, onclick: function () { treePath = treePath.slice(0, i + 1); renderTree(true); } }));
        });
        card.appendChild(crumbs);
      }
      card.appendChild(h('h3', { dir: 'auto', text: trail.length ? node.label : t('pick') }));
      var list = h('div', { class: 'nw-nodes' });
      (node.children || []).forEach(function (c) {
        list.appendChild(h('button', { type: 'button', class: 'nw-node', dir: 'auto', 'data-topic': c.id, text: c.label, onclick: function () { choose(c, trail); } }));
      });
      card.appendChild(list);
      if (trail.length) {
        var navRow = h('div', { class: 'nw-tnav' }, h('button', { type: 'button', class: 'nw-back', text: t('back'), onclick: function () { treePath.pop(); renderTree(true); } }));
        if (trail.length > 1) navRow.appendChild(h('button', { type: 'button', class: 'nw-home', text: t('home'), onclick: function () { treePath = []; renderTree(true); } }));
        card.appendChild(navRow);
      }
      reveal(card);
      if (focus) list.querySelector('button').focus({ preventScroll: true });
    }, function () {
      if (card !== treeCard) return;
      while (card.firstChild) card.removeChild(card.firstChild);
      card.appendChild(h('span', { text: t('loadFail') + ' ' }));
      card.appendChild(h('button', { type: 'button', class: 'nw-chip', text: t('retry'), onclick: function () { renderTree(true); } }));
    });
  }
  function choose(node, trail) {
    track('tree_click', node.label, { topic_id: node.id, article_id: node.article_id || null,
      meta: trail.map(function (n) { return n.id; }).concat(node.id).join('/') });
    if (node.action === 'agent') { askPerson(); return; }
    if (node.action === 'complaint') { suggestionForm(); return; }
    if (node.children) { treePath.push(node.id); renderTree(true); return; }
    if (node.article_id) { addMsg('customer', node.label); showArticle(node.article_id); }
  }
  function showArticle(id) {
    var lang = st.lang, k = id + '|' + lang;
    var dots = h('div', { class: 'nw-dots' }, [h('i'), h('i'), h('i')]);
    log.appendChild(dots);
    scrollDown();
    articles[k] = articles[k] || call('GET', '/articles/' + enc(id) + '?lang=' + lang);
    articles[k].then(function (a) {
      dots.remove();
      addMsg('bot', a.body, { title: a.title, source: 'tree' });
      track('article_view', a.title, { article_id: id });
    }, function () {
      delete articles[k];
      dots.remove();
      var n = addNote(t('loadFail') + ' ');
      n.appendChild(h('button', { type: 'button', class: 'nw-chip', text: t('retry'), onclick: function () { n.remove(); showArticle(id); } }));
    });
  }
  function setLang(l, byVisitor) {
    l = langOf(l);
    if (!l || l === st.lang) return;
    st.lang = l;
    if (byVisitor) st.picked = true; // remembered; the page's and browser's language no longer decide
    save();
    paintLang();
    if (treeCard) renderTree();
    track('lang_switch', l);
  }

  /* ---------- forms: suggestions / complaints, offline contact ---------- */
  function closeSheet() {
    if (!sheet) return;
    sheet.remove();
    sheet = null;
    mainEl.removeAttribute('inert');
    input.focus();
  }
  function openSheet(title, intro, fields, send) {
    closeSheet();
    var status = h('div', { 'aria-live': 'polite' }), els = {};
    var f = h('form', { novalidate: true }, [h('h3', { text: title }), intro ? h('p', { text: intro }) : null]);
    fields.forEach(function (fd) {
      var id = 'nw-f-' + fd.name, el;
      if (fd.options) {
        el = h('select', { id: id, name: fd.name });
        fd.options.forEach(function (o) { el.appendChild(h('option', { value: o, text: t('k_' + o) })); });
      } else el = h(fd.area ? 'textarea' : 'input', { id: id, name: fd.name, dir: 'auto', type: fd.area ? null : fd.type || 'text',
        required: !!fd.required, maxlength: fd.area ? '2000' : '120', autocomplete: fd.auto || null });
      els[fd.name] = el;
      f.appendChild(h('label', { for: id, text: t(fd.label) + (fd.required ? ' *' : '') }));
      f.appendChild(el);
    });
    var submit = h('button', { type: 'submit', class: 'nw-btn', text: t('submit') });
    f.appendChild(h('div', { class: 'nw-row' }, [submit, h('button', { type: 'button', class: 'nw-btn2', text: t('cancel'), onclick: closeSheet })]));
    f.appendChild(status);
    f.addEventListener('submit', function (e) {
      e.preventDefault();
      var values = {}, missing = null;
      fields.forEach(function (fd) {
        values[fd.name] = els[fd.name].value.trim();
        var empty = fd.required && !values[fd.name];
        if (empty && !missing) missing = els[fd.name];
        if (fd.required) els[fd.name].setAttribute('aria-invalid', String(empty));
      });
      status.className = 'nw-alert';
      status.setAttribute('role', 'alert');
      if (missing) { status.textContent = t('required'); missing.focus(); return; }
      if (submit.getAttribute('aria-disabled')) return;
      submit.setAttribute('aria-disabled', 'true');
      send(values).then(function () {
        var box = sheet;
        status.className = 'nw-ok';
        status.textContent = t('sent');
        addNote(t('sent'));
        setTimeout(function () { if (sheet === box) closeSheet(); }, 1500);
      }, function (err) {
        submit.removeAttribute('aria-disabled');
        status.textContent = err.status === 429 ? t('busy') : t('error');
      });
    });
    sheet = h('div', { class: 'nw-sheet', role: 'dialog', 'aria-label': title }, f);
    mainEl.setAttribute('inert', '');
    bodyEl.appendChild(sheet);
    var first = f.querySelector('input,select,textarea');
    if (first) first.focus();
  }
  function suggestionForm() {
    openSheet(t('suggest'), null, [
      { name: 'kind', label: 'kind', options: ['suggestion', 'complaint', 'compliment'] },
      { name: 'text', label: 'text', area: true, required: true },
      { name: 'contact', label: 'contact', auto: 'tel' }
    ], function (v) {
      return call('POST', '/suggestions', { session_id: st.sid || undefined, session_token: st.token || undefined, kind: v.kind,
        text: v.text, contact: v.contact || undefined, lang: st.lang });
    });
  }
  function offlineForm() {
    openSheet(t('offTitle'), t('offIntro'), [
      { name: 'name', label: 'name', required: true, auto: 'name' },
      { name: 'phone', label: 'phone', type: 'tel', required: true, auto: 'tel' },
      { name: 'description', label: 'desc', area: true, required: true }
    ], function (v) {
      return call('POST', '/offline-requests', { session_id: st.sid || undefined, session_token: st.token || undefined, name: v.name, phone: v.phone, description: v.description, lang: st.lang });
    });
  }

  /* ---------- start: the public API (docs/WIDGET.md, "JavaScript API") ---------- */
  ns.open = function () { open(); };
  ns.close = close;
  ns.setLang = ns.setLanguage = function (l) { setLang(l); };
  ns.on = function (name, fn) {
    if (typeof fn !== 'function') return noop;
    (handlers[name] = handlers[name] || []).push(fn);
    return function () { ns.off(name, fn); };
  };
  ns.off = function (name, fn) { handlers[name] = (handlers[name] || []).filter(function (f) { return f !== fn; }); };
  ns.setUser = function (u) {
    var next = cleanUser(u);
    if (adoptUser(next)) {
      // Another person signed in (or out): their conversation starts afresh.
      save();
      if (booted) resetLog();
    } else { save(); sendIdentity(); }
  };
  function start() {
    mount();
    // Calls the host page made on the loader before this file arrived (NuraWidget.setUser, .on …).
    (ns.queue || []).splice(0).forEach(function (c) { if (typeof ns[c[0]] === 'function') ns[c[0]].apply(ns, c[1]); });
    // Asked for through the loader: a click (or the host page's NuraWidget.open()) takes the focus
    // into the chat; a restore or an auto-open leaves it where the host page has it.
    if (ns.wantOpen) open(ns.wantOpen === 'quiet');
    else if (st.open || (cfg.autoOpen === 'true' && !st.dismissed)) open(true);
    else if (st.sid && LIVE.test(st.status || '')) boot(); // keep receiving the agent's replies while closed
  }
  if (d.body) start(); else d.addEventListener('DOMContentLoaded', start);
})();
