"""Composed probe grids for the hand-off and anger signals (fifth pass, issue 16): every frame
of a language crossed with every word for a person (or every verdict with every target), plus
near-miss grids that must not read as a request. Written from the languages' grammar, not from
any evaluation case; prints the misses and a count per grid.

    .venv/bin/python knowledge/eval/tools/probe_grid.py [--show]
"""

from __future__ import annotations

import sys
from itertools import product

# Kurmanji: a person in the oblique (bi X re) and as an object, with diacritics and without
KU_PERSONS = [
    "karmend",
    "karmendek",
    "karmendekî",
    "karmendeki",
    "karmendê xizmeta xerîdaran",
    "xebatkar",
    "xebatkarekî",
    "xebatkareki",
    "mirov",
    "mirovekî",
    "mirovekî rastîn",
    "kesek",
    "kesekî",
    "yekî",
    "yekî ji we",
    "berpirs",
    "berpirsyar",
    "berpirsyarekî",
    "rêveber",
    "rêveberê",
    "rêveberekî",
    "operator",
    "operatorê",
    "operatorekî",
    "tîma piştgiriyê",
    "tima pistgiriye",
    "xizmeta xerîdaran",
    "xizmeta xeridaran",
    "şêwirmendekî",
    "karmendê we",
]
KU_FRAMES = [
    "ez dixwazim bi {p} re biaxivim",
    "dixwazim bi {p} re bipeyivim",
    "ez dixwazim bi {p} re bipeyvim",
    "dixwazim bi {p} re biaxifim",
    "ez dikarim bi {p} re biaxivim?",
    "ji kerema xwe bi {p} re biaxivim",
    "ez dixwazim bi {p} re têkilî daynim",
    "ez dixwazim bi {p} re tekili daynim",
    "min bi {p} re girêdin",
    "min bigihînin {p}",
    "min bigihine {p}",
    "min veguhêzin {p}",
    "ez hewceyî {p} me",
    "pêwîstiya min bi {p} heye",
    "ez {p} dixwazim",
    "{p} dixwazim ji kerema xwe",
    "ez dixwazim gazî {p} bikim",
    "bila {p} gazî min bike",
    "bila {p} bi min re biaxive",
    "ez dixwazim ku {p} bi min re biaxive",
]
KU_NEAR = [
    "{p} got ku xeta min qut e",
    "{p} li dikanê sîmeke xelet da min",
    "ez dixwazim bibim {p}",
    "çawa ez dikarim krediyê ji hevalê xwe re bişînim",
    "{p} her roj gazî min dike",
    "{p} kengî vedibin",
]
# Sorani: someone / an employee with "there is … who talks to me", "calls me", "reach", "I'd like"
CKB_PERSONS = [
    "کارمەندێک",
    "کەسێک",
    "یەکێک",
    "مرۆڤێک",
    "بەرپرسێک",
    "کارمەندێکی خزمەتگوزاری",
    "یەکێک لە کارمەندەکان",
    "کارمه\u200cندێک",
]
CKB_FRAMES = [
    "ئایا {p} هەیە قسەم لەگەڵ بکات؟",
    "{p} هەیە یارمەتیم بدات؟",
    "ئەکرێ {p} تەلەفۆنم بۆ بکات؟",
    "دەکرێت {p} پەیوەندیم پێوە بکات؟",
    "دەمەوێت بە {p} بگەم",
    "حەز دەکەم قسە لەگەڵ {p} بکەم",
    "حەز ئەکەم لەگەڵ {p} قسە بکەم",
    "دەمەوێت تەلەفۆن بۆ {p} بکەم",
    "تکایە {p} تەلەفۆنم بۆ بکات",
]
CKB_NEAR = [
    "{p} پەیوەندیم پێوە دەکات و نازانم کێیە",
    "{p} هەموو ڕۆژێک تەلەفۆنم بۆ دەکات",
    "{p} پێی وتم سیمەکەم خراپە",
    "چۆن باڵانس بنێرم بۆ هاوڕێکەم",
]
AR_PERSONS = [
    "موظف",
    "الموظف",
    "احد الموظفين",
    "مشرف",
    "مسؤول",
    "خدمة العملاء",
    "الدعم الفني",
    "حد من الدعم",
    "ممثل خدمة العملاء",
]
AR_FRAMES = [
    "ابي اتصل ب{p}",
    "اريد اتصل ب{p}",
    "ممكن مكالمة مع {p}",
    "ابي مكالمه مع {p}",
    "بدي احكي مكالمة مع {p}",
    "اريد مكالمة من {p}",
    "ممكن اتصال من {p}",
    "خلي {p} يتصل بيه",
    "خلي {p} يتصل بيا",
    "ابغا {p}",
    "نبغا {p}",
]
AR_NEAR = [
    "{p} قال لي الرصيد خلص",
    "واحد يتصل عليا كل يوم من رقم غريب",
    "شخص يتصل بي كل يوم من رقم مجهول",
    "كيف اتصل بشخص في الخارج",
    "شنو رقم {p}",
    "ما اقدر اتصل على احد",
]
EN_PERSONS = [
    "a person",
    "an agent",
    "a human",
    "someone",
    "your support team",
    "a supervisor",
    "a real person",
    "customer service",
]
EN_FRAMES = [
    "hand me over to {p}",
    "i want a callback from {p}",
    "can {p} call me back",
    "i need {p} to call me back",
    "please have {p} call me",
    "could {p} ring me back",
    "escalate this to {p}",
    "get {p} on the line",
]
EN_NEAR = [
    "{p} called me yesterday about my bill",
    "{p} keeps calling me from an unknown number",
    "how do i call {p} abroad",
]
ARABIZI_PERSONS = [
    "mowazaf",
    "mowadhaf",
    "mwazzaf",
    "muwazzaf",
    "mowathaf",
    "el mowazaf",
    "7ada",
    "wa7ed",
    "insan",
    "modeer",
    "mas2ool",
    "moshrif",
]
ARABIZI_FRAMES = [
    "ab8a {p}",
    "abgha {p}",
    "abgha akalem {p}",
    "ab8a a7chi wiya {p}",
    "nabgha {p}",
    "abi atesel b {p}",
    "bidi a7ki ma3 {p}",
]

# anger: verdicts said of targets
ANGER = {
    "arabizi": (
        [
            "khalas ta3abna mnkom",
            "ta3abtona",
            "2arraftona",
            "tfashtona",
            "dawwakhtona",
            "shabaktkom mkhayesa",
            "khedmetkom zbala",
            "el net 3indkum zefet",
            "nasabeen",
            "7aramiya",
            "ma 3indkom thimma",
            "dammartona",
            "mallaytona",
        ],
        [],
    ),
    "ar": (
        [
            v.format(t=t)
            for v in (
                "{t} مللتونا",
                "دمرتونا ب{t}",
                "ما بيها خير {t}",
                "ما بيه خير {t}",
                "ما عاد اتحمل {t}",
                "ما عاد نتحمل {t}",
                "انتو بتنصبوا علينا",
                "انتو تنصبون علينا",
                "بتسرقوا رصيدنا",
                "تغشون الناس",
                "انتم تكذبون علينا",
                "هالشي بيقرف",
                "صرلي جمعة بلا {t}",
                "صار لي جمعتين بدون {t}",
                "بهدلتونا ب{t}",
                "قهرتونا ب{t}",
                "خربتو حياتنا",
            )
            for t in ("هالشركة", "النت", "خدمتكم", "الشبكه")
        ],
        [],
    ),
    "sorani": (
        [
            v.format(t=t)
            for v in (
                "{t} هیچ کەڵکی نییە",
                "{t} کەڵکی نییە",
                "{t} سوودی نییە",
                "شەرم ناکەن؟",
                "شەرمیش ناکەن",
                "{t} هەر پچڕاوە",
                "{t} هەمیشە پچڕاوە",
            )
            for t in ("ئینتەرنێتەکەتان", "تۆڕەکەتان", "خزمەتگوزارییەکەتان")
        ],
        [],
    ),
    "kurmanji": (
        [
            "we pereyê min xwar",
            "we krediya min xwar",
            "hûn pereyê me dixwin",
            "hûn derewan dikin",
            "hûn derew dikin",
            "hûn derewan li me dikin",
            "we pereyê min dizî",
            "hûn krediya me didizin",
            "xizmeta we pûç e",
            "torê we qet naxebite, şerm e",
        ],
        [],
    ),
}
CALM = [
    "shlon a3ref rasidi",
    "el net bati2 shwaya, shu a3mal?",
    "الانترنت بطيء شوية شنو الحل",
    "ما عاد عندي رصيد",
    "ما عاد اتحمل كلفة الباقه",
    "ما بيها رصيد الشريحه",
    "کێشەم هەیە لە ئینتەرنێت",
    "ئینتەرنێتەکەم پچڕاوە چی بکەم",
    "înterneta min hêdî ye",
    "çawa ez pereyê xwe vedigerînim",
    "my internet is slow what can i do",
    "can you call me back about my bill",
    "ez dixwazim krediyê bixwînim",
]

# Wide grids: want × "with" × talk verb × person, sampled (fixed seed), per language.
WIDE = {
    "arabizi": (
        "ar",
        [
            "areed ariid arid abi abee aby abgha abga ab8a biddi baddi badde bade bidi 3ayez 3ayz 3awz 3awez a7taj a7tag "
            "momkin mumkin mmkn",
            "a7chi a7ki e7ki ahki akalem akallim akalim at7adath atkalam atkallam atwasal atasal a7aki ehchi",
            "wiya wiyya weya ma3 m3 wya ma3a",
            "mowazaf mwazaf mowazzaf mwzf muwazaf mowadhaf mwdhf mowaddaf mowazafa el_mowazaf 7ada 7ad a7ad wa7ad "
            "shakhs insan bani_adam bnadem modeer mudir mas2ool mas2oul masool mushrif mashrif mumathil el_da3m "
            "khedmat_el_3omala customer_service agent wa7ed_mn_el_mowazafin 7ada_7a2i2i",
        ],
        "{0} {1} {2} {3}",
    ),
    "kurmanji": (
        "ku",
        [
            "ez_dixwazim dixwazim ez_dxwazim ez_dvêm ez_divêm min_divêt ez_hez_dikim ez_hez_dkem ez_dikarim dkarim "
            "ji_kerema_xwe tika_ye ez_hêvî_dikim",
            "bi_{x}_re digel_{x} ligel_{x} tevî_{x} bi_{x}_ra legel_{x}",
            "biaxivim bipeyivim axaftinê_bikim axaftin_bikem biaxifim bipeyvim qise_bikim qise_bikem xeber_bidim "
            "gotûbêj_bikim têkilî_daynim pêwendî_bikim pêwendiyê_bikem biaxvim bi_axivim",
            "karmend karmendekî fermanberekî fermanber xebatkarekî berpirsekî berpirsyarekî mirovekî kesekî "
            "mirovekî_rast rêveberî operatorekî nûnerekî nûner endamekî_tîmê xizmetguzariya_xerîdaran "
            "xizmeta_mişteriyan tîma_piştevaniyê piştgiriyê karmendê_we yek_ji_karmendan karmendên_we",
        ],
        None,
    ),
    "sorani": (
        "ckb",
        [
            "دەمەوێت دەمەوێ ئەمەوێت ئەمەوێ مەوێت دەکرێت ئەکرێ تکایە حەز_دەکەم حەزدەکەم پێویستە دەتوانم ئایا_دەتوانم",
            "لەگەڵ_{x} لەگەل_{x} لگەڵ_{x} لەگه\u200cڵ_{x} لە_گەڵ_{x}",
            "قسە_بکەم قسه_بكەم قسەبکەم بدوێم گفتوگۆ_بکەم پەیوەندی_بکەم قسە_بکەین چات_بکەم قسان_بکەم",
            "کارمەندێک کارمەند کارمەندێکی_ئێوە فەرمانبەرێک بەرپرسێک کەسێک مرۆڤێک یەکێک_لە_کارمەندەکانتان "
            "ستافەکەتان بەشی_خزمەتگوزاری تیمی_پشتگیری ئۆپەرەیتەرێک نوێنەرێک کارمەندی_خزمەتگوزاری_کڕیاران "
            "سەرپەرشتیارێک بەڕێوەبەر کەسێکی_ڕاستەقینە ئەندامێکی_تیمەکەتان مووەزەفێک",
        ],
        None,
    ),
}
# Near misses written with the same new words: complaints about a person, reports, knowing, friends
WIDE_NEAR = [
    ("ku", "ez dixwazim gilî li ser karmendekî bikim"),
    ("ku", "ez hez dikim pakêta mezin bikirim"),
    ("ku", "xebera min ji vê pakêtê tune"),
    ("ku", "qiseya karmend ne rast bû"),
    ("ku", "karmendê we bi min re bi xerabî axivî"),
    ("ku", "tika ye bêje min çawa krediyê bişînim"),
    ("ku", "dixwazim bizanim karmendên we kengî dixebitin"),
    ("ku", "ez dixwazim pêwendî bi hevalê xwe re bikim"),
    ("ckb", "دەمەوێت سکاڵا لە کارمەندێک بکەم"),
    ("ckb", "کارمەندەکەتان قسەی ناشیرینی لەگەڵ کردم"),
    ("ckb", "دەمەوێت پەیوەندی بە هاوڕێکەمەوە بکەم"),
    ("ckb", "پێویستە چی بکەم بۆ چالاککردنی پاکێج"),
    ("ckb", "دەتوانم قسە بکەم بە بێ باڵانس؟"),
    ("ckb", "تیمەکەتان کەی کار دەکات"),
    ("ar", "momkin a7ki ma3 sadi8i bil internet?"),
    ("ar", "ariid ashtiki 3la mowazaf"),
    ("ar", "ابي اشتكي على موظف"),
    ("ar", "الموظف كان وقح معي"),
    ("ar", "اتصال الموظف كان مزعج"),
    ("en", "i want to complain about an agent"),
    ("en", "your agent was rude to me"),
    ("en", "is customer service open on friday"),
]


def wide(name: str, limit: int = 2000) -> list[str]:
    import random

    _, parts, _ = WIDE[name]
    lists = [[w.replace("_", " ") for w in part.split()] for part in parts]
    if name == "arabizi":
        texts = [" ".join(combo) for combo in product(*lists)]
    else:
        texts = [f"{w} {wi.format(x=x)} {v}" for w, wi, v, x in product(*lists)]
    random.Random(7).shuffle(texts)
    return texts[:limit]


def main() -> None:
    from nura_appliance.conversation.signals import sentiment, wants_human

    show = "--show" in sys.argv
    grids = {
        "kurmanji": (KU_FRAMES, KU_PERSONS, KU_NEAR, "ku"),
        "sorani": (CKB_FRAMES, CKB_PERSONS, CKB_NEAR, "ckb"),
        "arabic": (AR_FRAMES, AR_PERSONS, AR_NEAR, "ar"),
        "english": (EN_FRAMES, EN_PERSONS, EN_NEAR, "en"),
        "arabizi": (ARABIZI_FRAMES, ARABIZI_PERSONS, [], "ar"),
    }
    for name, (frames, persons, near, lang) in grids.items():
        asks = sorted({f.format(p=p) for f, p in product(frames, persons)})
        misses = [t for t in asks if not wants_human(t, lang)]
        nears = sorted({f.format(p=p) for f, p in product(near, persons)})
        false = [t for t in nears if wants_human(t, lang)]
        print(
            f"hand-off {name}: missed {len(misses)}/{len(asks)}; near misses read as a request {len(false)}/{len(nears)}"
        )
        if show:
            for t in misses[:60]:
                print("  MISS", t)
            for t in false:
                print("  FALSE", t)
    for name, (angry, _) in ANGER.items():
        misses = [t for t in angry if sentiment(t) != "negative"]
        print(f"anger {name}: missed {len(misses)}/{len(angry)}")
        if show:
            for t in misses:
                print("  MISS", t)
    for name, (lang, _, _) in WIDE.items():
        asks = wide(name)
        misses = [t for t in asks if not wants_human(t, lang)]
        print(f"hand-off wide {name}: missed {len(misses)}/{len(asks)}")
        if show:
            for t in misses[:20]:
                print("  MISS", t)
    false = [t for lang, t in WIDE_NEAR if wants_human(t, lang)]
    print(
        f"wide near misses read as a request {len(false)}/{len(WIDE_NEAR)}" + "".join(f"\n  FALSE {t}" for t in false)
    )
    bad = [t for t in CALM if sentiment(t) == "negative"]
    print(f"calm read as angry {len(bad)}/{len(CALM)}" + ("".join(f"\n  ANGRY {t}" for t in bad) if show else ""))


if __name__ == "__main__":
    main()
