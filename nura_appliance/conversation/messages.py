"""Every customer-facing string the server sends, in Arabic, Kurdish Kurmanji and English."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "fallback": {
        "ar": "عذراً، لم أجد إجابة مناسبة لسؤالك. سأحوّلك إلى أحد موظفي خدمة العملاء ليساعدك.",
        "ku": "Bibore, min bersiveke guncav ji pirsa te re nedît. Ez ê te bi karmendekî xizmeta xerîdaran re girêdim.",
        "en": "Sorry, I couldn't find a good answer to your question. I'll connect you with a customer service agent.",
    },
    "fallback_no_handoff": {
        "ar": "عذراً، لم أجد إجابة مناسبة لسؤالك. جرّب صياغة أخرى أو اختر موضوعاً من القائمة.",
        "ku": "Bibore, min bersiveke guncav nedît. Bi gotinên din biceribîne an mijarekê ji lîsteyê hilbijêre.",
        "en": "Sorry, I couldn't find a good answer. Try rephrasing, or pick a topic from the menu.",
    },
    "handoff_started": {
        "ar": "تم تحويل محادثتك إلى موظف خدمة العملاء. سينضم إليك أحد الموظفين قريباً، يرجى البقاء في المحادثة.",
        "ku": "Axaftina te ji karmendekî xizmeta xerîdaran re hat şandin. Karmendek dê zû tevlî te bibe, ji kerema xwe li vir bimîne.",
        "en": "You're being connected to a customer service agent. Someone will join you shortly — please stay in the chat.",
    },
    "handoff_offline": {
        "ar": "فريق خدمة العملاء غير متاح الآن خارج ساعات العمل. اترك رقمك ووصف المشكلة وسنتواصل معك في أقرب وقت.",
        "ku": "Tîma xizmeta xerîdaran niha li derveyî demjimêrên kar e. Hejmara xwe û danasîna pirsgirêkê bihêle, em ê zû bi te re têkilî daynin.",
        "en": "Our support team is offline outside working hours. Leave your number and a short description and we'll get back to you soon.",
    },
    "handoff_disabled": {
        "ar": "التحويل إلى موظف غير متاح حالياً. يمكنك الاتصال بخدمة العملاء على الرقم 411.",
        "ku": "Veguhastina bo karmendekî niha ne berdest e. Tu dikarî li xizmeta xerîdaran bi hejmara 411 bigerî.",
        "en": "Transfer to an agent isn't available right now. You can call customer service on 411.",
    },
    "ambiguous": {
        "ar": "هل تقصد أحد هذه المواضيع؟",
        "ku": "Mebesta te yek ji van mijaran e?",
        "en": "Did you mean one of these topics?",
    },
    "scope_default": {
        "ar": "أنا مساعد خدمة العملاء وأستطيع المساعدة فقط في خدماتنا: الإنترنت، الباقات، الرصيد، الشريحة والتطبيق. اختر موضوعاً أو اطلب التحدث مع موظف.",
        "ku": "Ez alîkarê xizmeta xerîdaran im û tenê di derbarê xizmetên me de dikarim alîkariyê bikim. Mijarekê hilbijêre an daxwaza karmendekî bike.",
        "en": "I'm the customer service assistant and can only help with our services: internet, packages, balance, SIM and the app. Pick a topic or ask for an agent.",
    },
    "agent_joined": {
        "ar": "انضم {agent} إلى المحادثة.",
        "ku": "{agent} tevlî axaftinê bû.",
        "en": "{agent} joined the conversation.",
    },
    "resolved": {
        "ar": "تم إغلاق المحادثة. شكراً لتواصلك معنا!",
        "ku": "Axaftin hat girtin. Spas ji bo têkiliya te!",
        "en": "This conversation has been closed. Thank you for contacting us!",
    },
    "waiting_for_agent": {
        "ar": "رسالتك وصلت، وسيرد عليك الموظف قريباً.",
        "ku": "Peyama te gihîşt, karmend dê zû bersivê bide.",
        "en": "Your message was received; an agent will reply shortly.",
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
    """A localized message; unknown languages fall back to Arabic."""
    texts = MESSAGES[key]
    text = texts.get(lang) or texts["ar"]
    return text.format(**values) if values else text
