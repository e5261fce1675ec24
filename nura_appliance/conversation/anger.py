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


def _family(*patterns: str) -> re.Pattern[str]:
    """One regular expression of word-bounded alternatives, letters folded like normalised text."""
    body = "|".join(f"(?:{fold_letters(p)})" for p in patterns)
    body = body.replace(SORANI_E, f"[{SORANI_E}ه]")
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


_P = r"(?:و|ف|يا|ال|بال)?"  # a glued conjunction, vocative or article before an insult
_DURATION_AR = (
    r"(?:\d+|ثلاث|ثلاثه|تلات|تلاته|اربع|اربعه|خمس|خمسه|عشر|عشره|يومين|اسبوع|اسبوعين|شهر|ساعتين|"
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
    r"ما ?(?:عندكم|عدكم|عندكو|عندكن|عدكن) ?(?:ش ?)?(?:ذمه|ضمير|شرف|دين|اخلاق|احترام|حيا|رحمه|انسانيه|ذوق)",
    r"ما ?عندكن ?(?:ذمه|ضمير|شرف|اخلاق)|معندكمش (?:ذمه|ضمير|دم)|ما عندكو (?:ذمه|ضمير)|ما عندكمش \w+",
    r"(?:حسبي|حسبنا) الله|الله (?:ياخذ|ينتقم|لا يوفق|يلعن|لا يسامح|يحرق|يخرب)\w*|يلعن \w+|لعنه الله|تبا لكم|سحقا",
    r"(?:حرام|عيب|عار) علي(?:كم|كن|كو|كوا|ك)|والله عيب|ما تستحون|ما تستحوا|ما تخجلون|ما تختشوش",
    r"ضحك على الذقون|تضحكون علينا|بتضحكوا علينا|استهزاء",
    # "what is this service!", no use, injustice, stupidity, curses on the house
    r"(?:شو|ايش|وش|شنو|ايه) (?:هال|هاي ال|هذي ال|هذا ال|ده ال|دي ال)?(?:خدمه|شبكه|شركه|نت|زفت|قرف|هبل|خرابيط|مهزله)(?: ده| دي)?",
    r"(?:ما|مو|مش) (?:في|فيه|منكم|منكن) (?:فايده|فائده|امل)|بلا فايده|على الفاضي|هدر|خرابيط|تهريج|استهبال|بتستهبلوا|بتهرجوا|"
    r"استغلال|ظلم|ظالمين|غبي|اغبياء|غباء|حمير|كلاب|تفو|تف عليكم|استحوا|اخجلوا|يخرب بيت\w*|ما تفهمون|ما بتفهموا|مش فاهمين",
    r"(?:ت|ي|ن|ا|م)?(?:ضوج|دوخ|خنق)\w*|ضايج|تعبتونا|تعبتوني|تعبتو|طلعتوا روحنا|(?:رح|راح|ح|ه|حا|بكره) (?:اترك|اسيب)(?:كم|كن|ها)",
    # worthless, disrespectful, "enough already"
    r"(?:ما|مو|مش|لا|ولا) (?:ت|ي|ن)?(?:ستاهل|تستاهل|ستحق|يستحق|تستحق)\w{0,3} (?:\w+ )?(?:فلس|قرش|شي|شيء|ربع|نص|الفلوس|فلوس|المال|مال|المبلغ|السعر|الاشتراك)|"
    r"ما (?:ي|ت)?سو(?:ى|ا|ه|ي) (?:فلس|شي|قرش|شيء|بصله)|ما تسوى|ما يسوى|لا تسوى|لا يسوى|ما تنفع|ما ينفع بشي|ولا بتسوى",
    r"(?:يا )?(?:شين|شينه|شينين)(?: كم)?|(?:يا )?حيف(?: عليكم)?|تعتير|بلا طعمه|سخيف|سخيفه|سخيفين|(?:خدمه|شبكه|شركه) وحشه|وحشين|"
    r"ما بيكم (?:خير|فايده)|انذال|نذلين|ما (?:بتستحوا|بتستحو|تستحو)|بتستحوش|(?:حاج|حاجه|خلص|خلاص) بقى|بكفي|بيكفي|"
    r"مش معقول|مو معقول|(?:بيقهر|بتقهر|شي بقهر)|(?:هو )?(?:ده|هذا|هاي) اسمه (?:شغل|خدمه)|الله لا يوفق\w*|"
    r"غير محترم\w*|مو محترمين|مش محترمين|قله (?:ادب|احترام|ذوق)|وقاحه|وقحين|ما يحترمون|ما تحترمون",
    r"(?:كافي|بس|خلص|يكفي|خلاص) عاد|طفح الكيل|وصلت لحد|فاض الكيل",
    # exasperation
    r"(?:ت|ي|ن|ا|م)?(?:زهق|طهق|طفش|قهر|قرف|نرفز|جلط)\w*|طفرت|طفرتونا|مليت|ملينا|كرهتونا|كرهتوني|فاض بي|فاض بيا|انقهرت|انجلطت|اتنرفزت|عصبتوني|معصب|متضايق|متنرفز|زعلان|غاضب|غضبان|تعبت منكم|طلعتوا روحي|طلعتو روحي|جننتوني|فقعتوا مرارتي",
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
    r"ڕقم ل\w*|ڕقمان ل\w*|ڕق لێبوونەوە|بێ ?کەڵک|بێکەڵکن|بێ ?سوود|بێ ?بەها|تووڕە|تووڕەم|بێزار|بێزارم|بێزار بووم|وەڕس|وەڕسم|وەڕس بووم|شەرمە|شەرم بکەن|شەرمتان|بێ ?شەرم|بێ ?ویژدان|بێ ?ئینساف|"
    r"گاڵتەیە|گاڵتە جاڕ|گاڵتەجاڕی|ئەمە چ خزمەتگوزارییەکە|هەمیشە هەمان کێشە|تاکەی|تا کەی|هیچ کەس وەڵام نادا(?:تەوە)?|"
    r"شێت\w* (?:دەبم|بووم|کردم|کردین|کردووین)|شێتتان کرد\w*|ڕۆحم دەرچوو|ڕۆحمان دەرچوو|بەسە|ئیتر بەسە|بێ ?ئەخلاق|بێ ?ڕەوشت|گەمژە|گێل|لەعنەت|خوا لێتان|خودا لێتان|درۆ دەکەن|درۆمان لەگەڵ|"
    r"پارەکەم\w* خوارد|پارەمان دەخۆن|پارەی خەڵک دەخۆن|ماندووتان کرد|بێزارتان کرد|هەموو ڕۆژێک هەمان)"
    # Sorani glues the copula and pronouns on: "بێ کەڵکە", "خراپن", "تووڕەم"
    r"\w{0,5}",
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
    *_OUTAGE_KU,
    r"(?:xet|xeta|xeta xwe|xeta min|abonetiya xwe)\w* (?:\w+ )?(?:betal|betal bikim|betal dikim|diguherînim|diguherinim)",
)

ENGLISH = _family(
    r"terrible|awful|worst|useless|angry|furious|scammers|scamming|(?:this is|what a|it s a|its a) (?:scam|fraud|joke|rip off|ripoff)|ridiculous|horrible|hate|stupid|pathetic|"
    r"disgusting|unacceptable|rubbish|garbage|trash|crap|crappy|sucks|frauds|fraudsters|thieves|thief|robbery|incompetent|"
    r"shameful|shame on you|ripoff|rip off|rip offs|joke of a|what a joke|what a mess|fed up|sick of|sick and tired|"
    r"wtf|damn|bullshit|f+ck|fucking|fuck|idiots|morons|clowns|a disgrace|disgrace|outrageous|lousy|shit|shitty|"
    r"unbelievable|what the hell|what the heck|wth|done with you|done with your|never again|waste of (?:money|time)|"
    r"steal|stealing|stole|liars|lying to (?:me|us)|nobody cares|no one cares|annoyed|annoying|frustrated|frustrating|"
    r"disappointed|disappointing|upset|(?:poor|bad|awful|crappy|lousy|worst) (?:service|network|company|support|customer service)|"
    r"(?:i will|i ll|gonna|going to) (?:report|sue|complain about) you|consumer protection|is a (?:total )?joke|"
    r"(?:so|really|very) (?:angry|mad|pissed)|pissed off|hate (?:you|this|your)|"
    r"(?:is|are|s|re) (?:a |an )?(?:complete|total|absolute|utter|bloody|fucking) (?:joke|scam|disgrace|mess|nightmare|rip ?off)|"
    r"rip(?:ping|ped|s)? (?:us|me|people|everyone|customers) off|(?:robbing|robbed|scammed|scamming|cheating|cheated) (?:us|me|people|customers)|"
    r"(?:been )?waiting (?:for )?(?:an|one|two|three|\d+|several) (?:hours?|days?)|"
    r"what kind of (?:service|company|network|support) is this|i m (?:so )?done with|im done with|this is insane|"
    r"beyond (?:frustrating|annoying|ridiculous)|you (?:guys |people )?suck|you re a joke|youre a joke|absolute (?:garbage|joke|trash)",
    *_OUTAGE_EN,
    r"cancel(?:ling)? (?:my|the) (?:\w+ )?(?:line|contract|subscription|account|number|service)|"
    r"switch(?:ing)? to (?:another|a different|a new) (?:provider|operator|company|network|carrier)|leave (?:your|this) (?:company|network)",
    r"fix (?:it|this|that|your)|sort it out|do your job|how many times|(?:third|fourth|fifth|tenth|\d+(?:st|nd|rd|th)) time|again and again|every single day|nobody (?:answers|replies|helps)|no one (?:answers|replies|helps)",
)

OUTAGE = (_family(*_OUTAGE_AR, *_OUTAGE_CKB), _family(*_OUTAGE_KU, *_OUTAGE_EN))

_SHOUTING_MIN_WORDS = 4


def is_negative(norm: str, raw: str) -> bool:
    """Whether a message (``norm``: its normalised text, ``raw``: as typed) is angry or a
    complaint, in any language NURA reads."""
    if "!!!" in raw.replace("！", "!") or "???" in raw.replace("؟", "?"):
        return True
    letters = [c for c in raw if c.isascii() and c.isalpha()]
    if (
        len(raw.split()) >= _SHOUTING_MIN_WORDS
        and len(letters) >= 12
        and sum(c.isupper() for c in letters) >= 0.8 * len(letters)
    ):
        return True
    # Only the families of the scripts the text is written in (half the cost of a message).
    arabic_script = _ARABIC_LETTER.search(norm) is not None
    latin_script = _LATIN_LETTER.search(norm) is not None
    families = ((ARABIC, SORANI) if arabic_script else ()) + ((KURMANJI, ENGLISH) if latin_script else ())
    return any(family.search(norm) for family in families)


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
