"""Every customer-facing string the conversation sends, in Arabic, Kurdish Sorani (Arabic script),
Kurdish Kurmanji (Latin script) and English. A missing language falls back as pack texts do
(``languages.fallback_order``); a test checks that every key has all four."""

from __future__ import annotations

from nura_appliance.languages import fallback_order

MESSAGES: dict[str, dict[str, str]] = {
    "fallback": {
        "ar": "عذراً، لم أجد إجابة مناسبة لسؤالك. سأحوّلك إلى أحد موظفي خدمة العملاء ليساعدك.",
        "ckb": "ببورە، وەڵامێکی گونجاوم بۆ پرسیارەکەت نەدۆزییەوە. دەتگوازمەوە بۆ یەکێک لە کارمەندانی خزمەتگوزاریی کڕیاران بۆ ئەوەی یارمەتیت بدات.",
        "ku": "Bibore, min bersiveke guncav ji pirsa te re nedît. Ez ê te bi karmendekî xizmeta xerîdaran re girêdim.",
        "en": "Sorry, I couldn't find a good answer to your question. I'll connect you with a customer service agent.",
    },
    "fallback_no_handoff": {
        "ar": "عذراً، لم أجد إجابة مناسبة لسؤالك. جرّب صياغة أخرى أو اختر موضوعاً من القائمة.",
        "ckb": "ببورە، وەڵامێکی گونجاوم نەدۆزییەوە. پرسیارەکەت بە شێوەیەکی تر بنووسە یان بابەتێک لە لیستەکە هەڵبژێرە.",
        "ku": "Bibore, min bersiveke guncav nedît. Bi gotinên din biceribîne an mijarekê ji lîsteyê hilbijêre.",
        "en": "Sorry, I couldn't find a good answer. Try rephrasing, or pick a topic from the menu.",
    },
    "handoff_started": {
        "ar": "تم تحويل محادثتك إلى موظف خدمة العملاء. سينضم إليك أحد الموظفين قريباً، يرجى البقاء في المحادثة.",
        "ckb": "گفتوگۆکەت گوازرایەوە بۆ کارمەندێکی خزمەتگوزاریی کڕیاران. بەم زووانە یەکێک لە کارمەندان دێتە ناو گفتوگۆکە، تکایە لێرە بمێنەرەوە.",
        "ku": "Axaftina te ji karmendekî xizmeta xerîdaran re hat şandin. Karmendek dê zû tevlî te bibe, ji kerema xwe li vir bimîne.",
        "en": "You're being connected to a customer service agent. Someone will join you shortly — please stay in the chat.",
    },
    "handoff_offline": {
        "ar": "فريق خدمة العملاء غير متاح الآن خارج ساعات العمل. اترك رقمك ووصف المشكلة وسنتواصل معك في أقرب وقت.",
        "ckb": "تیمی خزمەتگوزاریی کڕیاران ئێستا لە دەرەوەی کاتی دەوامە. ژمارەی مۆبایلەکەت و کورتەیەک لە کێشەکەت بەجێبهێڵە، بەم زووانە پەیوەندیت پێوە دەکەین.",
        "ku": "Tîma xizmeta xerîdaran niha li derveyî demjimêrên kar e. Hejmara xwe û danasîna pirsgirêkê bihêle, em ê zû bi te re têkilî daynin.",
        "en": "Our support team is offline outside working hours. Leave your number and a short description and we'll get back to you soon.",
    },
    "handoff_disabled": {
        "ar": "التحويل إلى موظف غير متاح حالياً. يمكنك الاتصال بخدمة العملاء على الرقم 411.",
        "ckb": "گواستنەوە بۆ کارمەند لە ئێستادا بەردەست نییە. دەتوانیت لەسەر ژمارە 411 پەیوەندی بە خزمەتگوزاریی کڕیارانەوە بکەیت.",
        "ku": "Veguhastina bo karmendekî niha ne berdest e. Tu dikarî li xizmeta xerîdaran bi hejmara 411 bigerî.",
        "en": "Transfer to an agent isn't available right now. You can call customer service on 411.",
    },
    "apology": {
        "ar": "نأسف جداً لما حصل معك، ونتفهّم انزعاجك.",
        "ckb": "زۆر داوای لێبوردن دەکەین بۆ ئەوەی بەسەرت هاتووە و تێدەگەین کە بێزار بوویت.",
        "ku": "Em ji ber tiştê ku hat serê te pir xemgîn in û em aciziya te fêm dikin.",
        "en": "We're very sorry about what happened, and we understand your frustration.",
    },
    "complaint": {
        # An upset customer's message that matched no article: never the scope refusal.
        "ar": "نأسف جداً لما حصل معك، ونتفهّم انزعاجك. اكتب لي المشكلة باختصار أو اختر موضوعاً.",
        "ckb": "زۆر داوای لێبوردن دەکەین بۆ ئەوەی بەسەرت هاتووە و تێدەگەین کە بێزار بوویت. بە کورتی کێشەکەم بۆ بنووسە یان بابەتێک هەڵبژێرە.",
        "ku": "Em ji ber tiştê ku hat serê te pir xemgîn in û em aciziya te fêm dikin. Pirsgirêkê bi kurtî ji min re binivîse an mijarekê hilbijêre.",
        "en": "We're very sorry about what happened, and we understand your frustration. Tell me the problem in a few words, or pick a topic.",
    },
    "complaint_offer": {
        "ar": "وإذا أردت، أحوّلك فوراً إلى أحد موظفينا: اكتب «موظف».",
        "ckb": "ئەگەر بتەوێت، یەکسەر دەتگوازمەوە بۆ یەکێک لە کارمەندانمان: بنووسە «کارمەند».",
        "ku": "Heke tu bixwazî, ez ê te yekser bi karmendekî me re girêdim: binivîse «karmend».",
        "en": 'If you prefer, I\'ll connect you with one of our agents right away: just type "agent".',
    },
    "about_bot": {
        # A question about the bot itself ("what's your name", "are you a robot"): what it is.
        "ar": "أنا المساعد الآلي لخدمة العملاء، ولست موظفاً. أجيب عن أسئلتك حول خدماتنا: اكتب سؤالك أو اختر موضوعاً.",
        "ckb": "من یاریدەدەری ئۆتۆماتیکیی خزمەتگوزاریی کڕیارانم، کارمەند نیم. وەڵامی پرسیارەکانت دەربارەی خزمەتگوزارییەکانمان دەدەمەوە: پرسیارەکەت بنووسە یان بابەتێک هەڵبژێرە.",
        "ku": "Ez alîkarê otomatîk ê xizmeta xerîdaran im, ne karmend im. Ez bersiva pirsên te yên li ser xizmetên me didim: pirsa xwe binivîse an mijarekê hilbijêre.",
        "en": "I'm the automated customer service assistant, not a person. I answer questions about our services: type your question or pick a topic.",
    },
    "no_words": {
        # A message of only digits, emoji or symbols: there is no question to match.
        "ar": "لم أفهم رسالتك. اكتب سؤالك بالكلمات من فضلك، أو اختر موضوعاً من القائمة.",
        "ckb": "لە نامەکەت تێنەگەیشتم. تکایە پرسیارەکەت بە وشە بنووسە، یان بابەتێک لە لیستەکە هەڵبژێرە.",
        "ku": "Min peyama te fêm nekir. Ji kerema xwe pirsa xwe bi peyvan binivîse, an mijarekê ji lîsteyê hilbijêre.",
        "en": "I didn't understand your message. Please type your question in words, or pick a topic from the menu.",
    },
    "ambiguous": {
        "ar": "هل تقصد أحد هذه المواضيع؟",
        "ckb": "مەبەستت یەکێک لەم بابەتانەیە؟",
        "ku": "Mebesta te yek ji van mijaran e?",
        "en": "Did you mean one of these topics?",
    },
    "scope_default": {
        "ar": "أنا مساعد خدمة العملاء وأستطيع المساعدة فقط في خدماتنا: الإنترنت، الباقات، الرصيد، الشريحة والتطبيق. اختر موضوعاً أو اطلب التحدث مع موظف.",
        "ckb": "من یاریدەدەری خزمەتگوزاریی کڕیارانم و تەنها لە خزمەتگوزارییەکانی خۆمان دەتوانم یارمەتیت بدەم: ئینتەرنێت، پاکێجەکان، باڵانس، سیمکارت و ئەپەکە. بابەتێک هەڵبژێرە یان داوا بکە قسە لەگەڵ کارمەندێک بکەیت.",
        "ku": "Ez alîkarê xizmeta xerîdaran im û tenê di derbarê xizmetên me de dikarim alîkariyê bikim. Mijarekê hilbijêre an daxwaza karmendekî bike.",
        "en": "I'm the customer service assistant and can only help with our services: internet, packages, balance, SIM and the app. Pick a topic or ask for an agent.",
    },
    "handbook_found": {
        "ar": "هذا ما وجدته في دليل الخدمة بخصوص سؤالك:",
        "ckb": "ئەمە ئەوەیە کە لە ڕێنمای خزمەتگوزارییەکەدا دەربارەی پرسیارەکەت دۆزیمەوە:",
        "ku": "Min di rêbera xizmetê de li ser pirsa te ev dît:",
        "en": "Here is what I found in our service handbook about your question:",
    },
    "agent_joined": {
        "ar": "انضم {agent} إلى المحادثة.",
        "ckb": "{agent} هاتە ناو گفتوگۆکەوە.",
        "ku": "{agent} tevlî axaftinê bû.",
        "en": "{agent} joined the conversation.",
    },
    # What a canned reply's {agent_name} says when the agent has no display name (never the username).
    "agent_title": {
        "ar": "خدمة العملاء",
        "ckb": "خزمەتگوزاریی کڕیاران",
        "ku": "Xizmeta xerîdaran",
        "en": "Customer service",
    },
    "resolved": {
        "ar": "تم إغلاق المحادثة. شكراً لتواصلك معنا!",
        "ckb": "گفتوگۆکە داخرا. سوپاس بۆ پەیوەندیکردنت لەگەڵمان!",
        "ku": "Axaftin hat girtin. Spas ji bo têkiliya te!",
        "en": "This conversation has been closed. Thank you for contacting us!",
    },
    "waiting_for_agent": {
        "ar": "رسالتك وصلت، وسيرد عليك الموظف قريباً.",
        "ckb": "نامەکەت گەیشت، کارمەندەکە بەم زووانە وەڵامت دەداتەوە.",
        "ku": "Peyama te gihîşt, karmend dê zû bersivê bide.",
        "en": "Your message was received; an agent will reply shortly.",
    },
    # The original NURA widget's topic tree (GET /v1/topic-tree without lang, nura_appliance/original):
    # the branch with its complaint form and agent button, when the tree has none.
    "original_tree_root": {
        "ar": "كيف يمكنني مساعدتك؟",
        "ckb": "چۆن دەتوانم یارمەتیت بدەم؟",
        "ku": "Çawa dikarim alîkariya te bikim?",
        "en": "How can I help you?",
    },
    "original_tree_other": {
        "ar": "أخرى",
        "ckb": "بابەتی تر",
        "ku": "Yên din",
        "en": "Other",
    },
    "original_tree_complaint": {
        "ar": "تقديم شكوى أو اقتراح",
        "ckb": "ناردنی سکاڵا یان پێشنیار",
        "ku": "Gilî an pêşniyarekê bişîne",
        "en": "Send a complaint or suggestion",
    },
    "original_tree_agent": {
        "ar": "التحدث مع موظف",
        "ckb": "قسەکردن لەگەڵ کارمەندێک",
        "ku": "Bi karmendekî re biaxive",
        "en": "Talk to a person",
    },
}

# Widget and attachments (issue 20), in ar, ckb (Sorani), ku (Kurmanji) and en: what the bot says when
# a customer sends a photo or a PDF while no person owns the chat (the bot never reads the file), and
# the agent-joined notice for an agent without a display name.
MESSAGES.update(
    {
        "attachment_bot": {
            "ar": "شكراً، وصلني الملف. لا أستطيع الاطلاع على الصور والمستندات بنفسي؛ ليطّلع عليه أحد الموظفين اطلب التحدث مع موظف، أو اكتب سؤالك.",
            "ckb": "سوپاس، فایلەکەت گەیشت. من خۆم ناتوانم سەیری وێنە و بەڵگەنامەکان بکەم؛ بۆ ئەوەی کارمەندێک سەیری بکات داوای قسەکردن لەگەڵ کارمەند بکە، یان پرسیارەکەت بنووسە.",
            "ku": "Spas, pelê te gihîşt min. Ez bi xwe nikarim li wêne û belgeyan binêrim; da ku karmendek lê binêre, daxwaza axaftina bi karmendekî re bike, an pirsa xwe binivîse.",
            "en": "Thanks, I received your file. I can't look at photos or documents myself; to have an agent check it, ask to talk to a person, or type your question.",
        },
        # An agent without a display name joined: customers never see usernames (issue 20).
        "agent_joined_neutral": {
            "ar": "انضم أحد موظفي خدمة العملاء إلى المحادثة.",
            "ckb": "کارمەندێکی خزمەتگوزاری کڕیاران پەیوەندی بە گفتوگۆکەوە کرد.",
            "ku": "Karmendekî xizmeta xerîdaran tevlî axaftinê bû.",
            "en": "A customer service agent joined the conversation.",
        },
        "attachment_bot_no_handoff": {
            "ar": "شكراً، وصلني الملف. لا أستطيع الاطلاع على الصور والمستندات؛ اكتب وصفاً للمشكلة في رسالة من فضلك.",
            "ckb": "سوپاس، فایلەکەت گەیشت. ناتوانم سەیری وێنە و بەڵگەنامەکان بکەم؛ تکایە کێشەکە لە نامەیەکدا بنووسە.",
            "ku": "Spas, pelê te gihîşt min. Ez nikarim li wêne û belgeyan binêrim; ji kerema xwe pirsgirêkê di peyamekê de binivîse.",
            "en": "Thanks, I received your file. I can't look at photos or documents; please describe the problem in a message.",
        },
    }
)


def message(key: str, lang: str, **values: str) -> str:
    """A localized message; a language it lacks falls back like pack texts (Sorani → Arabic …)."""
    texts = MESSAGES[key]
    text = next((texts[c] for c in fallback_order(lang) if texts.get(c)), texts["ar"])
    return text.format(**values) if values else text
