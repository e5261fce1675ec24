"""Anger and complaints, in the dialects customers write them: insults, accusations, threats to
leave, outage complaints and exasperation — Iraqi, Gulf, Levantine, Egyptian and Modern Standard
Arabic, Kurdish Sorani and Kurmanji, English, and Arabizi (matched after transliteration).

The families are written as phrase patterns over normalised text (knowledge.folding), in natural
spelling: the letters are folded the same way as the text, and a Sorani ە also matches the ه that
Arabic keyboards type for it. They describe how people complain, not any evaluation case:

* insults and contempt for the service ("زبالة", "خدمة تعبانة", "rubbish", "xirab e", "زبڵ");
* accusations of theft or fraud ("حرامية", "سرقتونا", "scam", "دز");
* no conscience, shame ("ما عندكم ذمة", "حرام عليكم", "şerm e", "بێ ویژدان");
* curses and exasperation ("حسبي الله", "زهقت", "fed up", "bes e", "بێزار بووم");
* threats to leave or to complain ("بدي ألغي الخط", "cancel my contract", "هێڵەکەم هەڵدەوەشێنمەوە");
* outage complaints — a length of time without the service ("ثلاث أيام بدون نت",
  "three days without internet", "sê roj e înternet tune", "سێ ڕۆژە ئینتەرنێت نییە");
* repetition ("للمرة الثالثة", "how many times", "كل يوم نفس المشكلة");
* shouting: three exclamation or question marks, or a Latin message of four or more words in
  capitals.
"""

from __future__ import annotations

import re

from nura_appliance.knowledge.folding import SORANI_E, fold_letters
from nura_appliance.knowledge.normalize import lexicon_words, normalize


def _family(*patterns: str) -> re.Pattern[str]:
    """One regular expression of word-bounded alternatives, letters folded like normalised text."""
    body = "|".join(f"(?:{fold_letters(p)})" for p in patterns)
    body = body.replace(SORANI_E, f"[{SORANI_E}ه]")
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


_P = r"(?:و|ف|يا|ال|بال)?"  # a glued conjunction, vocative or article before an insult
_DURATION_AR = (
    r"(?:\d+|ثلاث|ثلاثه|تلات|تلاته|اربع|اربعه|خمس|خمسه|عشر|عشره|يومين|اسبوع|اسبوعين|جمعه|جمعتين|شهر|شهرين|ساعتين|"
    r"ساعات|ايام|يوم|امس|امبارح|البارحه|الصبح|الصبحيه|الفجر|الظهر|العصر|الليل)"
)
_SERVICE_AR = r"(?:و|ف)?(?:ال|بال|ب)?(?:نت|انترنت|انترنيت|شبكه|ارسال|خط|اتصال|تغطيه|داتا|واي فاي|وايفاي|خدمه)\w{0,3}"
# "without" and the states of a service that is out, in every dialect (a feminine ه allowed)
_WITHOUT_AR = (
    r"(?:بدون|بلا|بلاش|من غير|من دون|دون|ماكو|ما في|مافي|مفيش|ما فيه|ما اكو|ما كو|"
    r"(?:مقطوع|منقطع|قاطع|فاصل|مفصول|طافي|ميت|واقف|عاطل|عطلان|خربان|معطل|بايظ|ضارب)(?:ه)?|"
    r"(?:مو|مش|ما|مب|ماهو) (?:شغال|شغاله|يشتغل|تشتغل|بيشتغل|بتشتغل|موجود|موجوده|راضي|راضيه|يمشي|تمشي))"
)
# a service called lousy, for a length of time, is out of service as the customer lives it
_BAD_AR = r"(?:زفت|خرا|زباله|خربان|خربانه|تعبان|تعبانه|بايظ|بايظه|معفن|معفنه|خايس|خايسه|ميت|ميته)"
_SINCE_AR = r"(?:من|منذ|من يوم|صار له|صارله|صارلها|صار لها|له|الو|الها|بقاله|بقالها|بئاله|صرلو|صرله|صرلها)"
# a service that went out: "انقطعت الخدمة منذ ثلاثة أيام", "طفت الشبكه من الصبح"
_WENT_OUT_AR = r"(?:و|ف)?(?:انقطع|انقطعت|قطع|قطعت|طفى|طفت|طافت|وقف|وقفت|فصل|فصلت|راح|راحت|مات|ماتت)"

# Outage complaints (a length of time without the service), kept apart: an outage complaint the
# article tier cannot place is handed to a person rather than offered topics (Pipeline.answer).
_OUTAGE_AR = (
    _DURATION_AR + r"\w{0,2} (?:\w+ ){0,3}?" + _WITHOUT_AR + r" (?:\w+ )?" + _SERVICE_AR,
    _DURATION_AR + r"\w{0,2} (?:\w+ ){0,2}?" + _SERVICE_AR + r" (?:\w+ )?" + _WITHOUT_AR,
    _SERVICE_AR + r" (?:\w+ ){0,2}?" + _WITHOUT_AR + r" (?:\w+ ){0,3}?" + _SINCE_AR + r" (?:\w+ )?" + _DURATION_AR,
    _WENT_OUT_AR + r" (?:\w+ )?" + _SERVICE_AR + r" (?:\w+ ){0,3}?" + _SINCE_AR + r" (?:\w+ )?" + _DURATION_AR,
    _SERVICE_AR + r" (?:\w+ ){0,2}?" + _BAD_AR + r" (?:\w+ ){0,3}?" + _SINCE_AR + r" (?:\w+ )?" + _DURATION_AR,
)
_OUTAGE_CKB = (
    r"(?:\d+|دوو|سێ|چوار|پێنج|شەش|حەوت|چەند|یەک) (?:ڕۆژ|رۆژ|هەفتە|سەعات|کاتژمێر|مانگ)\w* (?:\w+ ){0,5}?(?:نییە|نیە|نیه|بێ|بەبێ|ناکات|ناکا|بڕاوە|پچڕاوە|کوژاوەتەوە)",
    r"(?:بێ|بەبێ) (?:ئینتەرنێت|ئینتەرنیت|نێت|هێڵ|تۆڕ|داتا)\w* (?:\w+ ){0,2}?(?:\d+|دوو|سێ|چوار|پێنج|چەند) (?:ڕۆژ|رۆژ|هەفتە|سەعات|مانگ)",
)
_OUTAGE_KU = (
    r"(?:\d+|du|sê|se|car|çar|pênc|penc|çend|cend) (?:roj|hefte|hefteyan|saet|seet|meh)\w* (?:e |ye |in )?(?:\w+ ){0,5}?(?:tune|tuneye|nîne|nine|naxebite|kar nake|qut e|qutbûye)",
)
_OUTAGE_EN = (
    r"(?:\d+|two|three|four|five|six|seven|several|many|few|couple of) (?:whole )?(?:days?|weeks?|hours?|months?) "
    r"(?:\w+ ){0,2}?(?:without|with no|no|and no|still no|of no) (?:\w+ )?(?:internet|service|signal|network|data|connection|coverage|wifi)",
    r"(?:no|without) (?:\w+ )?(?:internet|service|signal|network|data|connection|coverage|wifi) (?:\w+ ){0,4}?(?:for|since) (?:\w+ )?"
    r"(?:\d+|two|three|four|five|several|days|weeks|a week|hours|yesterday|last)",
)

ARABIC = _family(
    # insults and contempt
    _P + r"(?:زباله|زبالتكم|زبالتكن|زبالين|خرا|خره|زفت|خايس|خايسه|خايسين|خربانه|فاشل|فاشله|فاشلين|فاشلون|"
    r"تعبانه|بايظ|بايظه|معفن|معفنه|معفنين|مبهدل|مبهدله|مقرف|مقرفه|مقرفين|مهزله|مسخره|مهزلة|فضيحه|كارثه|"
    r"تخلف|متخلف|متخلفين|تافه|تافهين|حقير|حقيرين|وسخ|وسخين|قذر|قذرين|اسوا|اسوء|اتعس|اخس|تعيس|تعيسه|بايخ|بايخين)",
    # the same verdicts inflected for gender and number: "شركه نصابه", "موظفين فاشلين", "خدمه رديئه"
    _P + r"(?:نصاب|فاشل|خايس|معفن|مقرف|متخلف|تافه|حقير|وسخ|قذر|تعيس|ردي|رديء|رديئ|سيء|سيئ|بايخ|كذاب|غشاش|محتال)"
    r"(?:ه|ين|ون|ات|تكم|تكن)",
    r"(?:خدمه|شبكه|شركه|نت|انترنت|تغطيه)\w{0,4} (?:كلش |جدا |كتير |كثير |اوي |مره )?(?:ردي|رديء|رديئ|رديه|رديئه|سيئه|ضعيفه جدا)",
    r"(?:ال)?(?:خدم|شبك|شرك|نت|انترنت|انترنيت|خط)\w{0,4} (?:كلش |جدا |كتير |كثير |اوي |مره )?(?:تعبان|تعبانه|سيء|سيئه|سيئة|بطاله|زق|تبن|ما تسوى|ما تسوا|مو خوش)",
    # thieves and cheats
    _P
    + r"(?:نصابين|نصابون|نصاب|حراميه|حراميه|حرامي|حراميين|سراق|سراقين|لصوص|كذابين|كذابون|كذاب|غشاشين|غشاش|محتالين|محتال|"
    r"سرقه|سرقتوني|سرقتونا|سرقتوا|تسرقون|تسرقوا|بتسرقوا|بتسرقونا|تسرقونا|نهبتونا|نصبتوا|نصبتو علينا|نصب واحتيال)",
    r"(?:ال)?شرك(?:ه|تكم|تكن) (?:\w+ )?(?:نصب|حراميه|فاشله|زباله|تعبانه|خايسه|سرقه|زفت|خرا)",
    r"(?:يا ?ريت|ليتني|ليت) ما (?:اشتركت|اخذت|شريت|جبت|فتحت)|اكرهكم|اكره (?:ال)?(?:شرك|خدم|شبك|نت)\w*|كرهتكم",
    # "this is fraud" accuses us; "fraud messages" (a scam SMS) is a question about spam
    r"(?:هذا|هاد|هاذا|ده|هذي|هاي) (?:نصب|احتيال|سرقه)",
    # no conscience, shame, religion invoked
    r"ما ?(?:عندكم|عدكم|عندكو|عندكن|عدكن) ?(?:ش ?)?(?:ذمه|ضمير|شرف|دين|اخلاق|احترام|حيا|رحمه|انسانيه|ذوق|سالفه)",
    r"ما (?:الكم|الكن|لكم|لكن|الكو) (?:حل|دوا|علاج)|بلا (?:مخ|عقل|ضمير|ذمه|شرف|اخلاق)|"
    r"(?:ملهاش|مالهاش|ما لها|ما الها|ملوش|مالوش) (?:اي )?(?:لازمه|فايده|داعي)|"
    r"(?:ما|مو|مش|لا) (?:ت|ي)(?:سوه|سوا)|(?:خدم|شبك|شرك|نت)\w* (?:ما|لا|مو) (?:تسر|يسر|تسرش)|"
    r"(?:بت|بي|ت|ي)جيب (?:ال)?(?:مرض|جلطه|سكري|ضغط|هم)|(?:بت|بي)عقد",
    # you did X to us: "ضحكتو علينا", "لعبتو بينا", "كسرتو راسنا", "باكونا" (Iraqi: robbed us)
    r"(?:ضحك|لعب|نصب|كذب|قشمر|تشاطر|استهزء|استهزا)(?:تو|توا|تم|تون|تن) (?:علينا|بينا|عليا|بيا|علي|بي)|"
    r"(?:كسر|صدع|وجع|دوخ|فتر)(?:تو|توا|تم|تون)\w* (?:راس|روس|قلب)\w*|(?:دمر|حرق|تلف|اكل|موت)(?:تو|توا|تم|تون) (?:اعصاب|قلب|دم)\w*|"
    r"(?:كله|كلها|كلكم|كلامكم|شغلكم|كلامكن) (?:\w+ )?(?:كلاوات|خرط|خرطي|كذب|نصب|جذب)|كلاوجي\w*|خرطي|باكو(?:نا|ني)|بايكين|تبوقون|تبوكون",
    r"ما ?عندكن ?(?:ذمه|ضمير|شرف|اخلاق)|معندكمش (?:ذمه|ضمير|دم)|ما عندكو (?:ذمه|ضمير)|ما عندكمش \w+",
    r"(?:الله|ان شاء الله) (?:ي|ت)?(?:قلع|قطع|خرب|لعن|حرق|هد|كسر|ياخذ|اخذ)\w* (?:\w+ )?\w+(?:كم|كن|كو)(?: |$)|"
    r"خرب الله \w+(?:كم|كن|كو)|يقطع (?:عمر|ايد|راس)(?:كم|كن|كو)|"
    r"الله (?:ي|ت)?(?:قلع|قطع|خرب|لعن|حرق|هد|ياخذ|اخذ|ياخد|اخد|غربل)\w*(?:كم|كن|كو)|(?:ال)?لعنه (?:الله )?علي(?:كم|كن|كو)|عيب الشوم|(?:يا )?فشيل(?:تكم|تكن|تكو)|"
    r"الله لا (?:يبارك|يبارك ف|يوفق|يسامح|يرحم|يهنيكم)\w* ?\w*(?:كم|كن|كو)|عسا?(?:كم|كن|كو) (?:بال)?(?:عمى|خراب|ويل|موت|هم|غم)|"
    r"خساره (?:ال)?(?:فلوس|فلس|وقت|اشتراك)|(?:ضيع|خرب|دمر)(?:تو|توا|تم) (?:وقت|فلوس|حيات|شغل|يوم|الدنيا)\w*|خربتوها|"
    r"(?:ولاد|اولاد|ابناء) (?:ال)?حرام|(?:مش|مو|ما|مب|مانكم|مانتو) (?:قد|كد|بقدر|بمستوى) (?:ال)?مسؤوليه|"
    r"ما (?:بي|في)(?:ها|ه|هم|كم|كن|كو)? (?:ذره |ذرة |شوي |اي |ولا )?(?:احترام|ضمير|ذمه|اخلاق)(?! لل| ل)(?: عندكم| عندكن| عدكم)?|"
    r"يخربيت\w*|منكم لله|منكن لله|منكو لله|لعنبو\w*|"
    r"(?:حسبي|حسبنا)\w{0,2} الله|الله (?:ياخذ|ينتقم|لا يوفق|يلعن|لا يسامح|يحرق|يخرب)\w*|يلعن \w+|لعنه الله|تبا لكم|سحقا",
    r"(?:حرام|عيب|عار|فشله|خزي) علي(?:كم|كن|كو|كوا|ك)|(?:يا )?خيب(?:ه|تكم|تكن)|والله عيب|ما تستحون|ما تستحوا|ما تخجلون|ما تختشوش",
    r"ضحك على الذقون|تضحكون علينا|بتضحكوا علينا|استهزاء",
    # patience at its end ("لم اعد احتمل", "ما عدت اتحمل", "ما اقدر اتحمل اكثر" — not "can we
    # afford the price", where the verb has an object), anger named ("بغضب شديد")
    r"(?:لم (?:اعد|نعد)|ما ?عدت|ما ?عاد|ما ?بقيت|ما ?عدنا) (?:\w+ )?(?:احتمل|اتحمل|اطيق|نتحمل|نحتمل|نطيق)|"
    r"(?:ما ?اقدر|ما ?اكدر|مش قادر|مقدرش|ما بقدر) (?:احتمل|اتحمل|اطيق)(?: اكثر| اكتر| بعد)?$|(?:ب|و)?غضب\w*",
    # a service that goes out every day ("كل يوم بتقطع", "كل شوي يفصل")
    r"كل (?:يوم|شوي|شويه|ساعه|مره|ليله) (?:\w+ )?(?:ب|ي|ت|بي|بت|عم )?(?:ي|ت)?(?:قطع|نقطع|فصل|طفي|وقف)\w*",
    # "what is this service!", no use, injustice, stupidity, curses on the house
    r"(?:شو|ايش|وش|شنو|ايه) (?:هال|هاي ال|هذي ال|هذا ال|ذا ال|ذي ال|ده ال|دي ال)?(?:خدمه|شبكه|شركه|نت|زفت|قرف|هبل|خرابيط|مهزله|مسخره|مصخره|خرا|خره|زباله|استهبال|شغل|تخلف|اسلوب|معامله|ال(?:هبل|مسخره|مصخره|استهبال|زفت|قرف|خرابيط|مهزله))(?: ده| دي)?",
    r"(?:ما|مو|مش) (?:في|فيه|منكم|منكن) (?:فايده|فائده|امل)|بلا فايده|على الفاضي|هدر|خرابيط|تهريج|استهبال|استهتار\w*|مستهتر\w*|بتستهبلوا|بتهرجوا|"
    r"استغلال|ظلم|ظالمين|غبي|اغبياء|غباء|حمير|كلاب|تفو|تف عليكم|استحوا|اخجلوا|يخرب بيت\w*|ما تفهمون|ما بتفهموا|مش فاهمين",
    r"(?:ت|ي|ن|ا|م)?(?:ضوج|دوخ|خنق)\w*|ضايج|تعبتونا|تعبتوني|تعبتو|طلعتوا روحنا|(?:رح|راح|ح|ه|حا|بكره) (?:اترك|اسيب)(?:كم|كن|ها)",
    # worthless, disrespectful, "enough already"
    r"(?:ما|مو|مش|لا|ولا) (?:ت|ي|ن)?(?:ستاهل|تستاهل|ستحق|يستحق|تستحق)\w{0,3} (?:\w+ )?(?:فلس|قرش|شي|شيء|ربع|نص|الفلوس|فلوس|المال|مال|المبلغ|السعر|الاشتراك)|"
    r"ما (?:ي|ت)?سو(?:ى|ا|ه|ي) (?:فلس|شي|قرش|شيء|بصله)|ما تسوى|ما يسوى|لا تسوى|لا يسوى|ما تنفع|ما ينفع بشي|ولا بتسوى",
    r"(?:يا )?(?:شين|شينه|شينين)(?: ?كم)?|(?:يا )?حيف(?: عليكم)?|تعتير|بلا طعمه|سخيف|سخيفه|سخيفين|(?:خدمه|شبكه|شركه) وحشه|وحشين|"
    r"ما (?:بي|في)(?:كم|كو|ها|ه|هم) (?:خير|فايده|امل)|انذال|نذلين|ما (?:بتستحوا|بتستحو|تستحو)|بتستحوش|(?:حاج|حاجه|خلص|خلاص) بقى|بكفي|بيكفي|"
    r"مش معقول|مو معقول|(?:بيقهر|بتقهر|شي بقهر)|(?:هو )?(?:ده|هذا|هاي) اسمه (?:شغل|خدمه)|الله لا يوفق\w*|"
    r"غير محترم\w*|مو محترمين|مش محترمين|قله (?:ادب|احترام|ذوق)|وقاحه|وقحين|ما يحترمون|ما تحترمون",
    r"روحي طلعت|روحنا طلعت|طلعت روحي|طلعت روحنا|(?:خربتو|خربتوا|دمرتو|دمرتوا|بهدلتو|بهدلتوا) (?:حياتنا|حياتي|بيتنا|بيتي|شغلي|شغلنا)|"
    r"(?:كافي|بس|خلص|يكفي|خلاص) عاد|طفح الكيل|وصلت لحد|فاض الكيل|تحت الصفر",
    # can no longer bear it: "ما بقا فينا نتحمل", "مش قادر استحمل", "ما عاد اتحمل"
    # (not "ما نقدر نتحمل سعر الباقه", "we can't afford the price": nothing may follow but "more")
    r"(?:ما|مو|مش|ماعاد|معاد) (?:\w+ ){0,2}(?:ا|ن|ت|ي)?س?تحمل\w{0,3}(?:$| (?:اكثر|بعد|منكم|هيك|خلاص|والله|\w+(?:تكم|تكن|كم|كن)(?: |$)|هال\w+|ال(?:نت|شبك|خدم|شرك)\w*))",
    # exasperation
    r"(?:بت|بي|ت|ي|ن|ا|م)?(?:زهق|طهق|طفش|قهر|قرف|نرفز|جلط)\w*|طفرت|طفرتونا|مليت|ملينا|كرهتونا|كرهتوني|فاض بي|فاض بيا|انقهرت|انجلطت|اتنرفزت|عصبتوني|معصب|متضايق|متنرفز|زعلان|غاضب|غضبان|تعبت منكم|طلعتوا روحي|طلعتو روحي|جننتوني|فقعتوا مرارتي",
    # threats to leave or to complain
    r"(?:بدي|اريد|ابي|ابغي|ابغى|عايز|عاوز|رح|راح|حا|ح|سوف|بكره|هلا|هسه|خلاص) (?:\w+ )?(?:الغي|الغيه|الغيها|اقطع|اسكر|اقفل|اترك|اطلع من)\w{0,3} (?:\w+ ){0,2}?(?:ال|ب|ل)?(?:خط|خطي|خطوط|شريحه|شريحتي|رقم|رقمي|شركه|شركتكم|شبكه|شبكتكم)\w{0,3}",
    r"(?:انتقل|انقل|احول|اروح|رايح|رح روح|راح اروح) (?:ل|على|الى|عند) ?(?:شركه|شبكه) (?:ثانيه|تانيه|اخرى|غيركم)|(?:عند|على|مع) غيركم",
    r"(?:بدي|اريد|ابي|ابغي|ابغى|عايز|عاوز|رح|راح|حا|ح|سوف|خلاص) (?:\w+ )?(?:اغير|غير|ابدل|بدل) (?:ال)?(?:شركه|شبكه)\w{0,3}",
    r"ساشتكي|سوف اشتكي|رح اشتكي|راح اشتكي|حشتكي|هشتكي|اشتكي عليكم|بشتكي عليكم|رفع (?:دعوه|شكوى) عليكم|للمحكمه|"
    r"(?:اشتكي|بشتكي|ساشتكي|رح اشتكي) (?:لل|ل)?(?:هيئه|وزاره|اتصالات|حمايه المستهلك)",
    # outage complaints: a length of time without the service
    *_OUTAGE_AR,
    # repetition
    r"(?:لل|ل)?مره (?:ال)?(?:ثالثه|رابعه|خامسه|عاشره|مليون|\d+)|كم مره (?:\w+ )?(?:اتصلت|اشتكيت|بلغت|قلتلكم|حكيت|كتبت|راجعت)|"
    r"كل (?:يوم|مره|شهر) (?:نفس|هاي|هذي|ذات) (?:ال)?(?:مشكله|قصه|حاله|سالفه)|ولا (?:احد|حد|حدا|واحد) (?:يرد|يجاوب|بيرد|رد)|"
    r"محد (?:يرد|يجاوب|رد)|ما ?حد (?:يرد|بيرد|رد)|ماكو احد (?:يرد|يجاوب)|محدش (?:بيرد|رد)|ما حدا عم يرد|"
    r"(?:صار لي|صارلي|صرلي|صرلى|بقالي|الي|لي) (?:\w+ )?(?:ساعه|ساعتين|ساعات|يوم|يومين|ايام|اسبوع) (?:\w+ )?(?:انتظر|استنى|انطر|اتصل|احاول|احكي)",
)

SORANI = _family(
    # "bad" as a verdict ("خراپە", "زۆر خراپن"), not as an adjective ("ماڵپەڕە خراپەکان", bad sites)
    r"(?:زۆر )?خراپ(?:ە|ن|ترین|ترینە)?",
    r"(?:خراپترین|زۆر خراپ|زبڵ|زبڵە|گەندەڵ|گەندەڵن|درۆزن|درۆزنن|فێڵباز|فێڵبازن|تاڵانچی|دزن|دزی|دزین|دەدزن|دزیتان|"
    r"ڕقم ل\w*|ڕقمان ل\w*|ڕق لێبوونەوە|بێ ?کەڵک|بێکەڵکن|بێ ?سوود|بێ ?بەها|تووڕە|تووڕەم|بێزار|بێزارم|بێزار بووم|وەڕس|وەڕسم|وەڕس بووم|وەڕەز|شەرمە|شەرم بکەن|شەرمتان|بێ ?شەرم|بێ ?ویژدان|بێ ?ئینساف|"
    r"گاڵتەیە|گاڵتە جاڕ|گاڵتەجاڕی|ئەمە چ خزمەتگوزارییەکە|هەمیشە هەمان کێشە|تاکەی|تا کەی|هیچ کەس وەڵام نادا(?:تەوە)?|"
    r"شێت\w* (?:دەبم|بووم|کردم|کردین|کردووین)|شێتتان کرد\w*|ڕۆحم دەرچوو|ڕۆحمان دەرچوو|بەسە|ئیتر بەسە|بێ ?ئەخلاق|بێ ?ڕەوشت|گەمژە|گێل|لەعنەت|خوا لێتان|خودا لێتان|درۆ دەکەن|درۆمان لەگەڵ|"
    r"پارەکەم\w* خوارد|پارەمان دەخۆن|پارەی خەڵک دەخۆن|ماندووتان کرد|بێزارتان کرد|هەموو ڕۆژێک هەمان)"
    # Sorani glues the copula and pronouns on: "بێ کەڵکە", "خراپن", "تووڕەم"
    r"\w{0,5}",
    # worth nothing, said of you or yours: "خزمەتگوزارییەکەتان هیچ نییە"
    r"(?:\w+تان|ئێوە) هیچ (?:نییە|نیە|نین|ناهێنێت|ناهێنن)",
    r"شەرم(?:یش)? (?:ناکەن|ناکەیت|ناکەی|ناکەنەوە)",
    r"(?:قێزەون|ئابڕووچوون|بێمانا|بێ مانا|بێ ?ئابڕوو|بێ ?نرخن|بێنرخ)\w{0,5}|هەمووی (?:درۆ|فێڵ)\w*|ئەمە (?:تاڵان|دزی|فێڵ)\w*|هەر درۆ\w*|"
    r"(?:خوا|خودا) (?:بتانگرێت|لێتان بگرێت|بتانکوژێت)|فریو(?:مان|تان)? (?:دەدەن|ئەدەن|دا|داین|دەدرێین)|فێڵ (?:لە|ل)\w*(?: \w+)? (?:دەکەن|ئەکەن|کرد)|"
    r"ساختەکار\w*|(?:لە )?خوا نا?ترسن|سەقەت\w*|بە فیڕۆ (?:دەڕوات|دەچێت|چوو|دەدەن)|تەنها پارە (?:دەخوات|دەخۆن)|\w+تان (?:سفر|صفر)\w*|"
    r"هیچ (?:بەها|ڕێز|شەرم|ویژدان|ئەخلاق)\w* (?:نییە|نیە|نیه)|(?:تاقەت|سەبر|حەوسەڵە)(?:م|مان) (?:نەما|نەماوە)\w*|نەفرەت (?:لە|ل)\w*|تاڵان\w* (?:دەکەن|ئەکەن|کرد\w*)|دزان(?:ن|ە|ین)|کۆمپانیای دزان|^هیچ نین$|ئێوە هیچ نین",
    r"\w+تان (?:هیچ )?(?:کەڵک|سوود|فایدە)(?:ی|یان)? (?:نییە|نیە|نیه|نین)",
    r"\w+تان (?:هەر|هەمیشە|هەموو کات|دیسان|هەر ئێستاش) (?:پچڕاوە|بڕاوە|خراپە|لاوازە|کوژاوەتەوە|کار ناکات|ناکات)",
    *_OUTAGE_CKB,
    r"(?:هەڵدەوەشێنمەوە|هەڵیدەوەشێنمەوە|هەڵی دەوەشێنمەوە|بەتاڵی دەکەمەوە|دەیگۆڕم|دەچم بۆ کۆمپانیایەکی تر|کۆمپانیایەکی تر)",
)

KURMANJI = _family(
    r"xirab|xerab|xirabe|pir xirab|hêrs bûm|hêrs im|aciz (?:im|in|bûm|bûn|bûne|kirin)|(?:ez|em) (?:pir )?aciz|(?:me|min) aciz (?:kir\w*|dikin|diki)|bezar|bêzar|bêzar bûm|diz|dizî|dizan|dizin|"
    r"rezil|rezîl|serm e|şerm e|serma we|şerma we|besermin|bêşerm|bêsermin|bêwijdan|bewijdan|derewin|derewîn|derewkar|"
    r"felbaz|fêlbaz|xapandin|xapînok|bes e|êdî bes e|edi bes e|westiyam|ez westiyam|ev ci xizmet e|ev çi xizmet e|"
    r"ev ci rezilî ye|tu kes bersiv nade|kes bersiv nade|ne hêja|ne hêjayî|ne heja|ne hejayi|pûç|puc e|nefret|"
    r"lanet|lenet|ehmeq|aqilsiz|xwedê we|xwede we|serê me êşand|sere me esand|pereyê me dixwin|pereyên me dixwin|"
    r"pere me dixwin|her roj heman|her roj eynî|şirketeke din|sirketeke din|kompaniyeke din|"
    r"her roj (?:qut|diqete|naxebite|xirab)",
    r"(?:we|hûn|hun) (?:\w+ ){0,2}?(?:pere|kredi|bakiye|balans|heq)\w* (?:\w+ )?(?:xwar|xwarin|dixwin|dizî|dizi|dizîn|dizin|didizin)",
    r"derew(?:an|a)? (?:li (?:me|min) )?(?:dikin|kirin|dikî|dike|dikir)",
    r"(?:di)?xap[iî]nin|xapand\w*|dizên|serê (?:min|me) (?:êşand|êşandin|diêşînin)",
    r"(?:ji )?xwed[eê] (?:na|ne)tirs\w*|bi f[iî]ro (?:da|çû|diçe|dan)|nayê qebûl ?kirin|qebûl nabe|"
    r"\bwe (?:\w+ )?sifir e|(?:hûn|hun|we) (?:me|min) (?:diêşînin|êşandin|êşand|westandin)|hêrs (?:bûm|bûme|bûn|bûne|im|in|e)|"
    r"mêjiyê (?:me|min) dixw\w*|bizar (?:bûm|bûn|im|in)|(?:sebra|sebr|hesabê) (?:min|me) (?:nema|nemaye)|"
    r"(?:hûn|hun) tu tişt (?:nînin|ninin|nîn)|fedî (?:nakin|nakî|bikin)|şerm nakin|(?:ev )?rezîlî ye|ev şerm e",
    *_OUTAGE_KU,
    r"(?:xet|xeta|xeta xwe|xeta min|abonetiya xwe)\w* (?:\w+ )?(?:betal|betal bikim|betal dikim|diguherînim|diguherinim)",
)

ENGLISH = _family(
    r"terrible|awful|worst|useless|angry|furious|scammers|scamming|(?:this is|what a|it s a|its a) (?:scam|fraud|joke|rip off|ripoff)|ridiculous|horrible|hate|stupid|pathetic|"
    r"disgusting|unacceptable|rubbish|garbage|trash|crap|crappy|sucks|frauds|fraudsters|thieves|thief|robbery|incompetent|"
    r"shameful|shame on (?:you|u|ya)|ripoff|rip off|rip offs|joke of a|what a joke|what a mess|fed up|sick of|sick and tired|"
    r"wtf|damn|bullshit|dogshit|horseshit|screw (?:you|this|your)|f+ck|fucking|fuck|idiots|morons|clowns|a disgrace|disgrace|outrageous|lousy|shit|shitty|"
    r"unbelievable|what the hell|what the heck|wth|done with you|done with your|never again|waste of (?:money|time)|"
    r"steal|stealing|stole|liars|lying to (?:me|us)|nobody cares|no one cares|annoyed|annoying|frustrated|frustrating|"
    r"disappointed|disappointing|upset|(?:poor|bad|awful|crappy|lousy|worst) (?:service|network|company|support|customer service)|"
    r"(?:i will|i ll|gonna|going to) (?:report|sue|complain about) you|consumer protection|is a (?:total )?joke|"
    r"(?:so|really|very) (?:angry|mad|pissed)|pissed off|hate (?:you|this|your)|"
    r"(?:is|are|s|re) (?:a |an )?(?:complete|total|absolute|utter|bloody|fucking) (?:joke|scam|disgrace|mess|nightmare|rip ?off)|"
    r"rip(?:ping|ped|s)? (?:us|me|people|everyone|customers) off|(?:robbing|robbed|scammed|scamming|cheating|cheated) (?:us|me|people|customers)|"
    r"(?:been )?waiting (?:for )?(?:an|one|two|three|\d+|several) (?:hours?|days?)|"
    r"what kind of (?:service|company|network|support) is this|i m (?:so )?done with|im done with|this is insane|"
    r"beyond (?:frustrating|annoying|ridiculous)|(?:you|u) (?:guys |people )?suck|you re a joke|youre a joke|absolute (?:garbage|joke|trash)",
    *_OUTAGE_EN,
    r"cancel(?:ling)? (?:my|the) (?:\w+ )?(?:line|contract|subscription|account|number|service)|"
    r"switch(?:ing)? to (?:another|a different|a new) (?:provider|operator|company|network|carrier)|leave (?:your|this) (?:company|network)",
    r"fix (?:it|this|that|your)|sort it out|do your job|how many times|(?:third|fourth|fifth|tenth|\d+(?:st|nd|rd|th)) time|again and again|every single day|nobody (?:answers|replies|helps)|no one (?:answers|replies|helps)",
)

OUTAGE = (_family(*_OUTAGE_AR, *_OUTAGE_CKB), _family(*_OUTAGE_KU, *_OUTAGE_EN))

_SHOUTING_MIN_WORDS = 4
_ASCII_LETTER = re.compile("[A-Za-z]")
_ASCII_UPPER = re.compile("[A-Z]")


def _shouting(raw: str) -> bool:
    """A Latin message of four or more words (checked by the caller) mostly in capitals."""
    if len(raw.split()) < _SHOUTING_MIN_WORDS:
        return False
    letters = len(_ASCII_LETTER.findall(raw))
    return letters >= 12 and len(_ASCII_UPPER.findall(raw)) >= 0.8 * letters


# Faces and gestures of anger and disgust (the normaliser drops emoji, so they are read as typed).
_ANGRY_EMOJI = re.compile(
    "[\U0001f621\U0001f92c\U0001f620\U0001f47f\U0001f4a2\U0001f595\U0001f92e\U0001f4a9\U0001f624\U0001f44e]"
)


def is_negative(norm: str, raw: str) -> bool:
    """Whether a message (``norm``: its normalised text, ``raw``: as typed) is angry or a
    complaint, in any language NURA reads."""
    if "!!!" in raw.replace("！", "!") or "???" in raw.replace("؟", "?"):
        return True
    if _ANGRY_EMOJI.search(raw):
        return True  # 😡 🤬 😠 👿 💢 🖕 🤮 💩 😤 👎
    if raw.count(" ") + 1 >= _SHOUTING_MIN_WORDS and _shouting(raw):
        return True
    # Only the families of the scripts the text is written in (half the cost of a message).
    arabic_script = _ARABIC_LETTER.search(norm) is not None
    latin_script = _LATIN_LETTER.search(norm) is not None
    families = ((ARABIC, SORANI) if arabic_script else ()) + ((KURMANJI, ENGLISH) if latin_script else ())
    if any(family.search(norm) for family in families) or composed_anger(norm) or addressed_insult(norm):
        return True
    # Kurmanji typed on an English keyboard writes ş and ç as "sh" and "ch" ("sherm nakin"); the
    # families are folded to s and c, so the Kurmanji family is read once more with them undone.
    # Only a word that becomes one of the family's s/c words sends the message to that second read.
    if not latin_script or ("sh" not in norm and "ch" not in norm):
        return False
    if not any(_undigraph(w) in _KU_SC_WORDS for w in norm.split() if "sh" in w or "ch" in w):
        return False
    return KURMANJI.search(_undigraph(norm)) is not None


def _undigraph(norm: str) -> str:
    return norm.replace("sh", "s").replace("ch", "c")


# The Kurmanji family's words with an s or c (folded ş, ç): "serm", "ci", "bêsermin" …
_KU_SC_WORDS = frozenset(w for w in re.findall("[a-z]+", KURMANJI.pattern) if len(w) >= 2 and ("s" in w or "c" in w))


_ARABIC_LETTER = re.compile("[\u0600-\u06ff]")
_LATIN_LETTER = re.compile("[a-z]")


def is_outage(norm: str) -> bool:
    """Whether a normalised message complains of a service out for a length of time ("ثلاث ايام
    بدون نت", "no signal for two days", "سێ ڕۆژە ئینتەرنێت نییە")."""
    arabic, latin = OUTAGE
    if _ARABIC_LETTER.search(norm) and arabic.search(norm):
        return True
    return _LATIN_LETTER.search(norm) is not None and latin.search(norm) is not None


def without_anger(norm: str) -> str:
    """``norm`` with the words that only express anger removed (what the question is about stays):
    "خدمتكم زباله ثلاث ايام بدون نت" → "خدمتكم ثلاث ايام بدون نت". Outage phrases are kept."""
    out = norm
    arabic_script = _ARABIC_LETTER.search(norm) is not None
    for family in (ARABIC, SORANI) if arabic_script else (KURMANJI, ENGLISH):
        out = family.sub(lambda m: m.group() if _is_outage(m.group()) else " ", out)
    return " ".join(out.split())


# Words that say what a complaint is about: a phrase holding one stays in the text the article
# tier matches (an outage, a scam, a charge), only the pure insults are left out.
_OUTAGE_WORDS = re.compile(
    fold_letters(
        r"(?<!\w)(?:ال|بال|ب)?(?:نت|انترنت|انترنيت|شبكه|ارسال|خط|اتصال|تغطيه|داتا|وايفاي|خدمه|رصيد|فلوس|رسايل|رساله|"
        r"احتيال|نصب|سرقه|internet|service|signal|network|data|connection|coverage|wifi|balance|credit|money|scam|fraud|"
        r"înternet|internet|xet|xeta|ئینتەرنێت|ئینتەرنیت|نێت|هێڵ|تۆڕ|داتا|باڵانس|پارە)\w*"
    )
)


def _is_outage(phrase: str) -> bool:
    return bool(_OUTAGE_WORDS.search(phrase))


# Anger by composition: a verdict word said of the company, its service or "you" (plural), in
# any order and form — the families above know the phrases; these parts make the phrasings
# nobody listed ("شبكتكم مخيسه", "your network is a nightmare", "xizmeta we pir nebaş e").
# Verdicts: bad, rotten, rubbish, a disaster, thieves, liars, hopeless (stems; the glued
# prefixes and endings of the dialects are taken off before lookup).
_VERDICT = lexicon_words(
    "زبل زباله اخرب خيس خايس مخيس سيئ سيئه اسوا زفت تعبان تعبانه فاشل "
    "لص لصوص حرامي حراميه حراميه سراق نصاب نصابين كذاب كذابين غشاش محتال قرف مقرف زهق زهك طفش ضجر ويل مستحيل "
    "كارثه كارثي مصيبه مهزله مسخره مصخره فضيحه تعيس بهدله مبهدل خايب وسخ قذر حقير تافه ظالم ظلم نهب بلوه داهيه وحش "
    "عفن معفن ماصخ زق مزعجين فاشل هبل جاهل جهال جهله غبي اغبياء حمير بهايم جايف جيفه عفط كلاوجي دجال دجالين "
    "منافق منافقين واطي سافل منحط فاسد فاسدين جشع طماع طماعين مفتري لئيم خسيس نذل انذال مقرفين بطران بطرانين "
    "خراپ زبڵ درۆزن بێکەڵک گەندەڵ فێڵباز قێزەون پیس ناخۆش بێمانا نەزان گەوج گەمژە بەدبەخت تاڵان تاڵانچی بێنرخ "
    "xirab xerab nebaş nebas rezil diz derewîn derewin pûç puc pîs qirêj bêkêr bêfêde xirabtirîn rezîltirîn "
    "nezan bêaqil sexte sextekar talan talankar bêrûmet bênamûs ehmeq kirêt şermezar "
    "nightmare hopeless useless awful terrible horrible pathetic disgrace disgraceful disgusting rubbish garbage trash "
    "scam scammers fraud frauds thief thieves robbers robbery liars incompetent shameless ridiculous unacceptable "
    "dreadful appalling atrocious miserable shambles disaster worthless worst lousy crap crappy joke henek tinaz"
)


def _elatives(verdicts: frozenset[str]) -> frozenset[str]:
    """The Arabic elative ("the most …") of each three-letter verdict root: "اغبى" of "غبي",
    "اسخف" of "سخيف", "اتفه" of "تافه", "احقر" of "حقير" ("اغبى شركه شفتها"). A long vowel of
    the pattern (فاعل، فعيل، فعول) is dropped; the root gets the ا in front."""
    out = set()
    for v in verdicts:
        if not _ARABIC_WORD.match(v):
            continue
        if len(v) == 3:
            out.add("ا" + v)
            if v.endswith("ي"):  # the final ى also typed ا, as Arabizi spells it ("a8ba" → "اغبا")
                out.add("ا" + v[:-1] + "ا")
        elif len(v) == 4 and v[1] in "اوي":
            out.add("ا" + v[0] + v[2] + v[3])
        elif len(v) == 4 and v[2] in "اوي":
            out.add("ا" + v[0] + v[1] + v[3])
    return frozenset(out - _NOT_ELATIVE)


# elative shapes that are other words ("احمر", red, of "حمير")
_NOT_ELATIVE = frozenset({"احمر", "اظلم", "اجهل"})
_ARABIC_WORD = re.compile("^[\u0621-\u064a]+$")
_VERDICT = _VERDICT | _elatives(_VERDICT)
_CKB_VERDICT_TEXT = "خراپ زبڵ درۆزن بێکەڵک گەندەڵ فێڵباز قێزەون پیس ناخۆش بێمانا نەزان گەوج گەمژە بەدبەخت تاڵانچی بێنرخ"
_CKB_VERDICT = frozenset(normalize(w).replace(SORANI_E, "ه") for w in _CKB_VERDICT_TEXT.split())
# "you" (plural), "your", and what the verdict is said of: the company, its network, service,
# internet, app, line, coverage.
_TARGET = lexicon_words(
    "انتو انتم انتوا انتي اياكم تراكم ترا شركه شبكه خدمه خدمات نت انترنت انترنيت تغطيه خط تطبيق ابلكيشن ارسال "
    "ئێوە کۆمپانیا تۆڕ خزمەتگوزاری ئینتەرنێت هێڵ "
    "we hûn hun şirket sirket tor xizmet înternet internet "
    "you your youre yours company network service services internet app provider coverage signal"
)
# A first-person state of exasperation needs no target: "زهگت", "قرفت", "طفشت", "bêzar bûm".
_FED_UP = lexicon_words(
    "زهقت زهكت زهكنا زهقنا قرفت قرفنا طفشت طفشنا ضجت انقهرت تعبت تعبنا مليت ارحمونا سئمت سئمنا ضجرت ضقت غاضب غاضبه "
    "غضبان معصب معصبه عصبت"
)
# "worth nothing", "no shame": a negation before a word of worth or shame, said of a target.
_NEGATED = lexicon_words("ما مو مش ولا لا مب مهب مهوب ماهي not no never ne na نا نە")
_WORTH = lexicon_words(
    "شي شيء تستحي يستحي تستحون تستحوا تسوى يسوى تسوا خوش زين كفو نافع نافعه نظيف نضيف محترمين "
    "good worth baş bas kêrhatî kêr"
)
# (the Levantine/Egyptian present "بت", "بي": "بتقرف", "بيقرف")
_AR_GLUE = ("هال", "وال", "بال", "فال", "لل", "ال", "بت", "بي", "و", "ب", "ف", "م")
_AR_ENDS = ("تكم", "تكن", "تكو", "كم", "كن", "كو", "ها", "ه", "ات", "ين", "ون", "ي", "ا", "ن", "وا", "ت")
_CKB_ENDS = tuple(
    normalize(x).replace(SORANI_E, "ه")
    for x in ("ەکەتان", "ەکانتان", "تان", "ە", "ن", "ەکە", "ی", "یەکی", "یەک", "ێکی", "ێک", "ین")
)
_LATIN_WORD = re.compile("^[a-z]")


# "you (plural) eat / take / swallow my credit": a taking verb in the second person plural with
# money as its object ("تاكلون رصيدي", "بتسحبوا فلوسنا", "you eat my balance").
_TAKE = lexicon_words("اكل ماكل سحب بلع لهف شفط خصم بوك eat eating take taking steal stealing swallow drain draining")
_MONEY = lexicon_words("رصيد رصيدي رصيدنا فلوس فلوسي فلوسنا مصاري مصرياتي بيزات credit balance money")
_YOU_VERB = re.compile(r"^(?:و|ف)?(?:بت|ت|عم ت)\w{2,}(?:ون|وا|و|ن)$")
# Harm you (plural) did to us: a verb stem with the past "you" (ت + و) and "us"/"me" glued on
# ("مللتونا", "دمرتونا", "قهرتوني", "ta3abtona"): exasperation said of the company.
_HARM_STEMS = tuple(
    normalize(w)
    for w in "ملل ملي مل دمر قهر جنن طفش زهق طهق تعب خرب ذبح موت هلك بهدل قتل عذب خنق ضوج دوخ قرف نرفز عصب حرق جلط فلس بهذل قشمر صدع فشل شبع ضغط".split()
)
_HARM_ENDS = ("تونا", "توني", "تونه", "تنا", "تني")
_HARM_FORMS = frozenset(stem + end for stem in _HARM_STEMS for end in _HARM_ENDS)
# Cheating and lying in the 2nd person plural present ("تنصبون", "بتغشوا", "تكذبون علينا").
_CHEAT = ("نصب", "غش", "كذب", "سرق", "بوك", "لهف", "نهب", "خدع", "ستغل")
_VERDICT_BIT, _TARGET_BIT, _FED_UP_BIT, _YOU_TAKE_BIT, _TAKE_BIT = 1, 2, 4, 8, 16
_SIGNAL_BITS = _VERDICT_BIT | _FED_UP_BIT | _YOU_TAKE_BIT | _TAKE_BIT
_CACHE_LIMIT = 65536
_ROLE_CACHE: dict[str, int] = {}
_SIGNAL_WORDS: set[str] = set()  # remembered words with a verdict, fed-up or taking role


def _anger_roles(word: str) -> int:
    """The roles of one normalised word as bits (verdict, target, fed up, taking), remembered."""
    found = _ROLE_CACHE.get(word)
    if found is not None:
        return found
    if word.isdigit():
        return 0
    folded = word.replace(SORANI_E, "ه")
    forms = {folded}
    if _LATIN_WORD.match(folded):
        forms.update(
            folded[: -len(e)]
            # Kurmanji also glues the indefinite (şirket-eke, -ek) and the superlative (xerab-tirîn)
            for e in ("s", "a", "e", "ê", "ya", "ye", "ed", "eke", "ek", "tirin", "tir")
            if folded.endswith(e) and len(folded) > len(e) + 2
        )
    else:
        bases = [folded] + [folded[len(g) :] for g in _AR_GLUE if folded.startswith(g) and len(folded) - len(g) >= 2]
        forms.update(bases)
        for base in bases:
            for end in _AR_ENDS + _CKB_ENDS:
                if base.endswith(end) and len(base) - len(end) >= 2:
                    forms.add(base[: -len(end)])
    your = not _LATIN_WORD.match(folded) and len(folded) > 3 and folded.endswith(("كم", "كن", "كو", "تان"))
    taking = _taking(folded)
    harmed = folded.removeprefix("و") in _HARM_FORMS or folded in _HARM_FORMS
    cheat = _YOU_VERB.match(folded) is not None and any(c in folded[:-1] for c in _CHEAT) and len(folded) <= 9
    found = (
        (_FED_UP_BIT if harmed or cheat else 0)
        | (_VERDICT_BIT if forms & _VERDICT else 0)
        | (_TARGET_BIT if your or forms & _TARGET else 0)
        | (_FED_UP_BIT if folded in _FED_UP else 0)
        | (_YOU_TAKE_BIT if taking == 2 else _TAKE_BIT if taking == 1 else 0)
    )
    if len(_ROLE_CACHE) < _CACHE_LIMIT:
        _ROLE_CACHE[word] = found
        if found & _SIGNAL_BITS:
            _SIGNAL_WORDS.add(word)
    return found


def arabizi_spellings() -> frozenset[str]:
    """The Arabic words anger is read by that Arabizi may spell ("ta3abna" → "تعبنا", "mallaytona"
    → "مليتونا"): registered with the transliteration by conversation.signals."""
    arabic = {v for v in _VERDICT | _INSULT_NOUN if _ARABIC_WORD.match(v)}
    return frozenset(w for w in _FED_UP | _HARM_FORMS | arabic if len(w) >= 3)


def _taking(word: str) -> int:
    """2: a taking verb in the second person plural ("تاكلون"); 1: a bare taking verb ("eat");
    0: neither."""
    if _YOU_VERB.match(word) is not None and any(t in word for t in _TAKE if len(t) == 3):
        return 2
    return 1 if word.removesuffix("ing") in _TAKE else 0


_NEAR = 5
_WORTH_AFTER_NEGATION = re.compile(
    "(?:^| )(?:"
    + "|".join(re.escape(w) for w in _NEGATED)
    + ") (?:"
    + "|".join(re.escape(w) for w in _WORTH)
    + ")(?: |$)"
)


def _plural_verdict(word: str) -> bool:
    if _LATIN_WORD.match(word) or not word.endswith(("ين", "ون")) or len(word) < 5:
        return False
    return bool(_anger_roles(word[:-2]) & _VERDICT_BIT) or bool(
        _anger_roles(word) & _VERDICT_BIT and word[:-2] in _VERDICT
    )


def _copula_verdict(word: str) -> bool:
    """A Sorani word that is a verdict with the plural copula ن / ین glued on ("گەوجن")."""
    folded = word.replace(SORANI_E, "ه")
    if not folded.endswith("ن"):
        return False
    for end in ("ین", "ن"):
        stem = folded[: -len(end)]
        if folded.endswith(end) and len(stem) >= 3 and stem in _CKB_VERDICT:
            return True
    return False


def _attributive_of_other(words: list[str], bits: list[int], i: int) -> bool:
    """An Arabic verdict with the article right after a noun that is not a target is that noun's
    adjective ("المواقع الوحشه", "the bad sites"); after a target it stays a verdict ("الشبكه الزفت")."""
    return i > 0 and words[i].startswith("ال") and not bits[i - 1] & (_TARGET_BIT | _VERDICT_BIT)


# Insults by address: a noun that is an insult only when said *to* someone (animals, "idiots"),
# after a vocative ("يا حيوانات", "ya 7ayawanat", Sorani "ئەی کەرینە", "you clowns") or with a
# vocative ending glued on (Kurmanji "kerino", "kero"; Sorani "کەرینە", "کەرە"). A verdict word
# after a vocative ("يا نصابين") is an insult too; a vocative alone, or the noun alone ("بيع
# حيوانات"), is not.
_INSULT_NOUN = lexicon_words(
    "حيوان حيوانات كلب كلاب چلب چلاب جلب جلاب حمار حمير بقر بقره بهايم جحش جحوش زمال "
    "خنزير خنازير ثور ثيران قرد قرود "
    "کەر کەرە سەگ گوێدرێژ ئاژەڵ بەراز "
    "ker kucik kûçik heywan beraz "
    "idiots idiot morons moron clowns clown animals pigs donkeys fools muppets"
)
_INSULT_FOLDED = frozenset(w.replace(SORANI_E, "ه") for w in _INSULT_NOUN)
_VOCATIVE = lexicon_words("يا ya yaa ئەی ئەي ey hey lo you")
_SHOWN_AFTER_VOCATIVE = lexicon_words("شويه شوية بعض حفنه جماعه شلة شله lot bunch")
_KU_VOCATIVE_ENDS = ("ino", "ine", "o")
_CKB_VOCATIVE_ENDS = (normalize("ینە").replace(SORANI_E, "ه"),)


def _insult_noun(word: str) -> bool:
    folded = word.replace(SORANI_E, "ه")
    if folded in _INSULT_FOLDED or folded.removeprefix("ال") in _INSULT_FOLDED:
        return True
    return folded.endswith("ات") and folded[:-2] in _INSULT_FOLDED


def _vocative_insult(word: str) -> bool:
    """An insult noun with a vocative ending ("kerino", "کەرینە")."""
    folded = word.replace(SORANI_E, "ه")
    ends = _KU_VOCATIVE_ENDS if _LATIN_WORD.match(folded) else _CKB_VOCATIVE_ENDS
    if word.endswith(SORANI_E):  # the singular "کەرە" only in Sorani letters ("كلبه" is "his dog")
        ends = (*ends, "ه")
    return any(folded.endswith(e) and folded[: -len(e)] in _INSULT_FOLDED for e in ends)


def addressed_insult(norm: str) -> bool:
    """An insult said to the reader: a vocative then an insult noun or a verdict, or an insult
    noun with a vocative ending."""
    words = norm.split()[:60]
    for i, word in enumerate(words):
        if _vocative_insult(word):
            return True
        if word not in _VOCATIVE:
            continue
        after = words[i + 1 : i + 3]
        if after and after[0] in _SHOWN_AFTER_VOCATIVE:
            after = after[1:]
        if after and (_insult_noun(after[0]) or (word != "you" and _anger_roles(after[0]) & _VERDICT_BIT)):
            return True
    return False


def composed_anger(norm: str) -> bool:
    """A verdict said of the company, its service or "you" within a few words, in either order; a
    first-person "fed up"; "you eat our credit"; or "worth nothing" / "no shame" said of them."""
    words = norm.split()
    if len(words) > 60:
        words = words[:60]
    cache = _ROLE_CACHE
    for word in words:
        if word not in cache:  # seen for the first time (a number is never remembered)
            _anger_roles(word)
    if not _SIGNAL_WORDS.isdisjoint(words) or len(cache) >= _CACHE_LIMIT:
        bits = [_anger_roles(w) for w in words]
        if any(b & _FED_UP_BIT for b in bits):
            return True
        targets = [i for i, b in enumerate(bits) if b & _TARGET_BIT]
        for i, b in enumerate(bits):
            if b & _VERDICT_BIT and _attributive_of_other(words, bits, i):
                continue  # "المواقع الوحشه" (the bad sites): said of the sites, not of us
            if b & _VERDICT_BIT and any(abs(i - t) <= _NEAR for t in targets if t != i or len(words) == 1):
                return True
            if b & (_YOU_TAKE_BIT | _TAKE_BIT) and (b & _YOU_TAKE_BIT or "you" in words[max(0, i - 2) : i]):
                if any(w in _MONEY or w.removeprefix("ال") in _MONEY for w in words[i + 1 : i + 4]):
                    return True
    # a verdict in the masculine plural, in a message of three words at most, is said of people
    # (the company's): "كلش سيئين", "خايسين"
    if len(words) <= 3 and any(_plural_verdict(w) for w in words):
        return True
    # a verdict with the plural copula, last: Sorani "گەوجن", "بەدبەختن"; Kurmanji "… bêrûmet in"
    if words and (
        _copula_verdict(words[-1]) or (len(words) > 1 and words[-1] == "in" and _anger_roles(words[-2]) & _VERDICT_BIT)
    ):
        return True
    # "خدمتكم ولا شي", "شركه ما تستحي": worth or shame denied right after what it is said of
    if _WORTH.isdisjoint(words):
        return False
    found = _WORTH_AFTER_NEGATION.search(norm)
    if found is None:
        return False
    before = norm[: found.start()].split()
    if before and _anger_roles(before[-1]) & _TARGET_BIT:
        return True
    after = norm[found.end() :].split()  # "مو خوش شركه", "not a good company"
    return bool(after) and bool(_anger_roles(after[0]) & _TARGET_BIT)
