"""Questions about the bot itself: its name, what it is, who made it, how it is.

"شنو اسمك", "ناوت چییە", "navê te çi ye?", "what's your name", "are you a robot", "انت مين",
"tu kî yî", "who made you", "شلونك". None of them is about the desk's services, and the article
tier must not answer them: "اسمك" (your name) shares its stem with the line-ownership article's
"اسم" (name) and was answered with it at 0.79. The pipeline gives them a short reply saying what
the bot is (``messages.about_bot``) instead.

Read by parts, as conversation.handoff reads a request for a person: a word of the second person
(the glued ك / چ / ت, "te", "you") that names an attribute of the one addressed (a name, an age,
who made it), or "you" beside a word of what the bot might be (a robot, a human, real), or "who /
what are you", or "how are you" — in a short message with nothing else in it: "شلونك، النت عندي
بطيء" asks about the internet, and "does the line have to be in your name" is no question to the
bot (its extra words make it more than an attribute question).
"""

from __future__ import annotations

from nura_appliance.knowledge.folding import SORANI_E
from nura_appliance.knowledge.normalize import lexicon_words, normalize

# "your name": Arabic with the glued second person (ك, Iraqi چ, Gulf ج), Sorani ناوت, the
# question word glued on ("شسمك"); the Latin two-word forms are read by pairs below
_YOUR_NAME = lexicon_words("اسمك اسمچ اسمج اسمكم اسمكي شسمك شسمچ ناوت ناوتان")
# "your age", "who made you": an attribute of the one addressed
_YOUR_AGE = lexicon_words("عمرك عمرچ عمرج تەمەنت")
_MADE_YOU = lexicon_words(
    "سواك سواچ صنعك صممك برمجك عملك طورك سووك خلقك "
    "دروستیکردوویت دروستیکردووی دروستکردویت "
    "çêkirî çêkir made created built programmed developed designed trained"
)
_WHO = lexicon_words("منو مين من who کێ kê ki kî")
# the second person as a word
_YOU = lexicon_words("انت انتي انتو إنت انتا اانت تۆ tu hûn you u ya")
# what the bot might be
_WHAT_IT_IS = lexicon_words(
    "روبوت ربوت بوت الي اله انسان بشر بشري حقيقي ذكاء اصطناعي برنامج شات chatgpt "
    "ڕۆبۆت ڕۆبات بۆت مرۆڤ ئامێر ڕاستەقینە "
    "robot bot mirov makîne rast "
    "robot bot human real machine ai person program computer chatbot"
)
# "who / what are you" without a glued question: "انت مين", "شنو انت", "تۆ کێیت", "tu kî yî"
_WHO_WHAT = lexicon_words("منو مين شنو شو ايش وش ايه مين ماذا من کێ چی kî çi who what")
_CKB_WHO_ARE_YOU = lexicon_words("کێیت کێی چیت")
_KU_COPULA = lexicon_words("yî yi î i ye e")
_EN_ARE = lexicon_words("are r is")
# "how are you"
_HOW_ARE_YOU = lexicon_words(
    "شلونك شلونچ شلونج شلونكم كيفك كيفچ كيفج كيفكم ازيك ازيكم اخبارك شخبارك شخبارچ چۆنی چۆنن باشی"
)


def _runs(*phrases: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(w.replace(SORANI_E, "ه") for w in normalize(p).split()) for p in phrases)


_HOW_RUNS = _runs("how are you", "how r u", "how are u", "tu çawa yî", "çawa yî", "hûn çawa ne")
_NAME_RUNS = _runs("your name", "ur name", "navê te", "navê we", "ناوی تۆ")
_AGE_RUNS = _runs("how old are you", "tu çend salî yî", "چەند ساڵتە")
# Words that may stand beside the question without making it about something else
_FILLER = lexicon_words(
    "يا هل ما هو هي شنو شو ايش وش ايه ايهو اللي لو سمحت ممكن اعرف اگدر اكدر اقدر ولا او لو بس هاي هذا "
    "مرحبا هلا اهلا السلام عليكم حبيبي اخي اخوي الله يخليك "
    "چییە چیه چی ئایا تۆ سڵاو تکایە "
    "çi ye e gelo silav merheba "
    "what whats is s the a an may i know can tell me please hi hello hey or just today doing"
)
_MAX_WORDS = 8


def _folded(norm: str) -> list[str]:
    return [w.replace(SORANI_E, "ه") for w in norm.split()]


def _has_run(words: list[str], runs: frozenset[tuple[str, ...]]) -> int:
    """The length of the longest run of ``runs`` found in ``words`` (0 when none is)."""
    found = [len(run) for run in runs if any(tuple(words[i : i + len(run)]) == run for i in range(len(words)))]
    return max(found, default=0)


def asks_about_the_bot(norm: str) -> bool:
    """Whether one normalised reading is a question about the bot itself (see the module's
    docstring); the caller has already ruled out a request for a person."""
    words = _folded(norm)
    if not words or len(words) > _MAX_WORDS:
        return False
    others = [w for w in words if w not in _FILLER]
    # "what's your name", "navê te çi ye", "how old are you"
    for runs in (_NAME_RUNS, _AGE_RUNS, _HOW_RUNS):
        n = _has_run(words, runs)
        if n and len(others) <= n:
            return True
    you = any(w in _YOU for w in words)
    # "are you a robot", "انت انسان لو روبوت", "tu robot î?", "تۆ ڕۆبۆتیت؟" (the copula glued)
    rest = [w for w in others if w not in _YOU and w not in _EN_ARE and w not in _KU_COPULA]
    if you and rest and all(w in _WHAT_IT_IS or _ckb_copula_of(w, _WHAT_IT_IS) for w in rest):
        return True
    if len(others) > 3:
        return False
    if any(w in _YOUR_NAME or w in _YOUR_AGE or w in _HOW_ARE_YOU for w in others) and len(others) <= 2:
        return True
    # "who made you", "منو سواك", "من صنعك"
    if any(w in _WHO for w in words) and any(w in _MADE_YOU for w in words):
        return not [w for w in others if w not in _WHO and w not in _MADE_YOU and w not in _YOU]
    # "who are you", "انت مين", "tu kî yî", "تۆ کێیت"
    if any(w in _CKB_WHO_ARE_YOU for w in words) and len(others) <= 2:
        return True
    return you and bool(rest) and all(w in _WHO_WHAT for w in rest)


def _ckb_copula_of(word: str, lexicon: frozenset[str]) -> bool:
    """Sorani "you are X" glued: "ڕۆبۆتیت", "مرۆڤیت", "ڕۆبۆتی" (X + یت / ی)."""
    return any(word.endswith(end) and word[: -len(end)] in lexicon for end in ("يت", "ي"))
