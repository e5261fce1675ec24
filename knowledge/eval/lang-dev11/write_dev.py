"""Write lang-dev11/ckb-dev.jsonl: Sorani cases for the default pack (issue 16, h16ckb).

The base texts below are hand-written in standard Unicode Sorani from the pack's article ids
and titles only. A style letter after a text says how a customer typed it; ``retype`` makes the
keyboard's letters from the standard ones, so each written variant is reproducible:

  u  standard Unicode Sorani (ە ێ ۆ ڕ ڵ ک ی)
  a  an older Arabic-keyboard/font habit: ک -> ك, ی -> ي, ە -> ه + ZWNJ inside a word, ه at its end
  p  a Persian keyboard without Kurdish letters: ە -> ه(+ZWNJ), ێ -> ی, ۆ -> و, ڕ -> ر, ڵ -> ل
  n  Kurdish keyboard but no ڕ ڵ typed (ڕ -> ر, ڵ -> ل)
  k  Arabic ك and ي only (ک -> ك, ی -> ي)

Run: python knowledge/eval/lang-dev11/write_dev.py  (rewrites ckb-dev.jsonl next to it)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ZWNJ = "\u200c"


def _heh(text: str) -> str:
    # ە inside a word -> ه + ZWNJ; at the end of a word -> ه
    text = re.sub("ە(?=[\u0620-\u06ff])", "ه" + ZWNJ, text)
    return text.replace("ە", "ه")


def retype(text: str, style: str) -> str:
    if style == "u":
        return text
    if style == "a":
        return _heh(text.replace("ک", "ك").replace("ی", "ي"))
    if style == "p":
        for a, b in (("ێ", "ی"), ("ۆ", "و"), ("ڕ", "ر"), ("ڵ", "ل")):
            text = text.replace(a, b)
        return _heh(text)
    if style == "n":
        return text.replace("ڕ", "ر").replace("ڵ", "ل")
    if style == "k":
        return text.replace("ک", "ك").replace("ی", "ي")
    raise ValueError(style)


ARTICLES: dict[str, list[tuple[str, str]]] = {
    "internet-slow": [
        ("ئینتەرنێتەکەم زۆر هێواشە، چی بکەم؟", "u"),
        ("نێتی مۆبایلەکەم لەم چەند ڕۆژەدا زۆر خاو بووەتەوە", "a"),
    ],
    "no-connection": [
        ("داتاکەم ناکرێتەوە و هیچ ئینتەرنێتم نییە", "u"),
        ("مۆبایلەکەم بە نێتەوە پەیوەست نابێت، داتا کار ناکا", "p"),
    ],
    "apn-settings": [
        ("APN ی سەنەد چییە بۆ مۆبایلی ئەندرۆید؟", "u"),
        ("چۆن ڕێکخستنی ئەی پی ئێن لە ئایفۆنەکەمدا دابنێم", "n"),
    ],
    "5g-service": [
        ("ئایا مۆبایلەکەم پشتگیری 5G دەکات؟", "u"),
        ("تۆڕی فایڤ جی لە شارەکەی ئێمەدا هەیە؟", "k"),
    ],
    "volte-hd-calls": [
        ("چۆن VoLTE لە مۆبایلەکەمدا چالاک بکەم؟", "u"),
        ("پەیوەندی دەنگی بە کوالیتی بەرزی HD چۆن کار دەکات", "a"),
    ],
    "hotspot": [
        ("هۆتسپۆتەکەم کار ناکات، لاپتۆپەکەم پێی ناگات", "u"),
        ("ناتوانم ئینتەرنێتی مۆبایلەکەم لەگەڵ کۆمپیوتەرەکەم بەش بکەم", "n"),
    ],
    "coverage": [
        ("لە گوندەکەمان هیچ ئیشارەیەک نییە", "u"),
        ("چۆن ڕاپۆرتی نەبوونی تۆڕ لە گەڕەکەکەمان بدەم؟", "p"),
        ("سیگناڵ لە ماڵەکەمدا زۆر لاوازە", "a"),
    ],
    "call-problems": [
        ("ناتوانم تەلەفۆن بۆ هیچ کەسێک بکەم", "u"),
        ("کەس ناتوانێ پەیوەندیم پێوە بکات، زەنگم بۆ نایەت", "k"),
    ],
    "sms-problems": [
        ("نامەکانم ناگەن و مەسجیشم بۆ نایەت", "u"),
        ("ناتوانم کورتەنامە بنێرم", "a"),
    ],
    "app-login": [
        ("ناتوانم لە ئەپی سەنەد لۆگین بکەم", "u"),
        ("ناچمە ژوورەوەی ئەپەکە، هەموو جارێک هەڵە دەدات", "n"),
    ],
    "app-register": [
        ("ئەپی سەنەد لە کوێ دابەزێنم؟", "u"),
        ("چۆن ئەکاونتێک لە ئەپەکەدا دروست بکەم؟", "p"),
    ],
    "password-reset": [
        ("پاسوۆردەکەمم بیرچووەتەوە", "u"),
        ("چۆن وشەی نهێنیی ئەپەکە نوێ بکەمەوە؟", "a"),
    ],
    "number-ownership": [
        ("دەمەوێت هێڵەکەم بکەمە سەر ناوی براکەم", "u"),
        ("بۆ کڕینی هێڵێکی نوێ چ بەڵگەنامەیەکم پێویستە؟", "k"),
    ],
    "bill-payment": [
        ("فاتورەی هێڵە پاشەکییەکەم چۆن بدەم؟", "u"),
        ("کەی دوا ڕۆژی دانی پسوولەکەیە؟", "p"),
    ],
    "pin-puk": [
        ("سیمەکەم قفڵ بووە و داوای کۆدی PUK دەکات", "u"),
        ("سێ جار PIN م هەڵە لێدا، ئێستا چی بکەم؟", "a"),
    ],
    "sim-replacement": [
        ("مۆبایلەکەم دزرا، چۆن سیمکارتەکەم ڕابگرم؟", "u"),
        ("سیمەکەم شکاوە، دەمەوێت یەکێکی تر وەربگرم بە هەمان ژمارە", "n"),
    ],
    "esim": [
        ("چۆن eSIM لە ئایفۆنە نوێیەکەمدا چالاک بکەم؟", "u"),
        ("ئی سیمەکەم بگوازمەوە بۆ مۆبایلێکی تر", "k"),
    ],
    "packages-prices": [
        ("لیستی هەموو پاکێجەکانتانم دەوێت لەگەڵ نرخیان", "u"),
        ("باقەی نێتی مانگانە بە چەندە؟", "a"),
    ],
    "package-subscribe": [
        ("چۆن پاکێجی هەفتانە وەربگرم؟", "u"),
        ("دەمەوێت پاکێجەکەم هەڵبوەشێنمەوە", "p"),
        ("ئەمەوێ پاکێجەکەم خۆکار نوێ نەبێتەوە", "u"),
    ],
    "data-usage": [
        ("چەند گێگام ماوە لە پاکێجەکەمدا؟", "u"),
        ("چۆن بزانم چەندێک داتام بەکارهێناوە؟", "a"),
    ],
    "roaming": [
        ("دەچمە تورکیا، چۆن ڕۆمینگ چالاک بکەم؟", "u"),
        ("ئایا لە دەرەوەی وڵات هێڵەکەم کار دەکات؟", "n"),
    ],
    "international-calls": [
        ("پەیوەندیکردن بە ئەڵمانیا خولەکی بە چەندە؟", "u"),
        ("چۆن ژمارەیەکی دەرەوەی وڵات لێبدەم، کۆدی وڵات چۆن بنووسم؟", "k"),
    ],
    "balance-check": [
        ("چۆن باڵانسەکەم ببینم؟", "u"),
        ("ڕەسیدەکەم چەندە؟ کۆدی زانینی باڵانس چییە", "p"),
    ],
    "balance-draining": [
        ("پارەکەم خۆی لە خۆیەوە کەم دەبێتەوە", "u"),
        ("بۆچی بێ هۆ پارە لە باڵانسەکەم دەبڕن؟", "a"),
    ],
    "vas-unsubscribe": [
        ("خزمەتگوزارییەکی زیادەم لەسەرە و هەموو ڕۆژێک پارەم لێ دەبڕێت، چۆن لێی دەربچم؟", "u"),
        ("بەشداریی نامەی هەواڵی ڕۆژانە هەڵبوەشێنەوە", "n"),
    ],
    "recharge-card": [
        ("کارتی پڕکردنەوە دەڵێت ژمارەکە هەڵەیە", "u"),
        ("چۆن بە کارتی خوراندن هێڵەکەم شەحن بکەم؟", "k"),
    ],
    "points-transfer": [
        ("دەمەوێت باڵانس بنێرم بۆ ژمارەی هاوڕێکەم", "u"),
        ("چۆن پارە لە هێڵەکەمەوە بگوازمەوە بۆ هێڵێکی تری سەنەد؟", "a"),
    ],
    "loyalty-points": [
        ("خاڵەکانم چەندن و چۆن بیانگۆڕمەوە؟", "u"),
        ("خاڵی سەنەد چۆن کۆ دەکرێتەوە؟", "p"),
    ],
    "working-hours": [
        ("لقەکانتان کەی دەکرێنەوە و کەی دادەخرێن؟", "u"),
        ("ژمارەی کۆڵ سەنتەرەکەتان چەندە؟", "n"),
    ],
    "complaints": [
        ("دەمەوێت سکاڵایەک تۆمار بکەم", "u"),
        ("سکاڵاکەم چی لێ هات؟ کەس وەڵامی نەدامەوە", "a"),
    ],
    "business-internet": [
        ("بۆ کۆمپانیاکەمان چەند سیمکارتێکمان دەوێت", "u"),
        ("ئینتەرنێتی تایبەت بۆ ئۆفیسەکەمان هەیە؟", "k"),
    ],
    "home-internet": [
        ("ڕاوتەری فۆرجی بۆ ماڵەوە بە چەندە؟", "u"),
        ("هێڵی فایبەر دەگاتە گەڕەکەکەمان؟", "p"),
    ],
    "router-wifi": [
        ("چۆن پاسوۆردی وایفایەکەم بگۆڕم؟", "u"),
        ("ئەمەوێت ناوی وای فایی ماڵەوە بگۆڕم", "a"),
    ],
}

HANDOFF: list[tuple[str, str]] = [
    ("دەمەوێت قسە لەگەڵ کارمەندێک بکەم", "u"),
    ("تکایە بمگەیەنن بە فەرمانبەرێکی خزمەتگوزاری", "u"),
    ("ئەمەوێ لەگەڵ مرۆڤ قسە بکەم نەک ڕۆبۆت", "n"),
    ("کارمەندی خزمەتگوزاری مشتەریانم دەوێت", "a"),
    ("بمگەیەنە بە بەرپرسێک", "p"),
    ("کەسێک هەیە یارمەتیم بدات؟ موەزەفێکم دەوێت", "k"),
    ("تکایە بمگوازنەوە بۆ ئەجێنت", "u"),
    ("دەکرێت یەکێک لە ستافەکەتان پەیوەندیم پێوە بکات؟", "a"),
    ("کەسێکی ڕاستەقینەم بۆ بنێرن، بۆت تێناگات", "u"),
]

OUT_OF_SCOPE: list[tuple[str, str]] = [
    ("پایتەختی فەرەنسا کوێیە؟", "u"),
    ("ئەمڕۆ کەشوهەوای هەولێر چۆنە؟", "a"),
    ("چۆن دۆڵمە دروست بکەم؟", "u"),
    ("یانەی ڕیاڵ مەدرید دوێنێ بردییەوە؟", "n"),
    ("نرخی دۆلار لە سلێمانی چەندە؟", "p"),
    ("سەرم دێشێت، چ دەرمانێک بخۆم؟", "u"),
    ("شیعرێکی خۆشەویستیم بۆ بنووسە", "k"),
    ("کەی زەیتی ئۆتۆمبێلەکەم بگۆڕم؟", "u"),
    ("باشترین زانکۆ لە کوردستان کامەیە؟", "a"),
    ("نرخی ئایفۆن ١٥ لە بازاڕ چەندە؟", "u"),
    ("پاسوۆردی فەیسبووکەکەم بیرچووە", "n"),
]


def main() -> None:
    rows = []
    for article, texts in ARTICLES.items():
        for text, style in texts:
            rows.append({"text": retype(text, style), "lang": "ckb", "variety": "sorani",
                         "expect": {"article": article}})
    for text, style in HANDOFF:
        rows.append({"text": retype(text, style), "lang": "ckb", "variety": "sorani",
                     "expect": {"handoff": True}})
    for text, style in OUT_OF_SCOPE:
        rows.append({"text": retype(text, style), "lang": "ckb", "variety": "sorani",
                     "expect": {"out_of_scope": True}})
    out = Path(__file__).with_name("ckb-dev.jsonl")
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(len(rows), "cases ->", out)


if __name__ == "__main__":
    main()
