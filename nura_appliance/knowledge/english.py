"""Known English words, for the Arabizi reader (issue 16, `h16oos2`).

A Latin message read as Arabizi keeps its English words in Latin letters: "ekteb li code python"
is a verb of the dialect around two English words, and spelled letter by letter they were "كود
بيتون" — a match for the recharge-card code article instead of the out-of-scope refusal; "check",
"iraq", "unlimited" became "جكك", "ارق", "انلمتد". The words known as English:

* the English text of the shipped default pack (titles, bodies, example questions, keywords,
  tree labels, rules, canned replies, scope message): the desk's own English vocabulary;
* the English stopwords;
* a list of common English words a customer writes around a support desk's topics or beside it
  (technology, money, places, shopping, everyday verbs and nouns) and technology and brand names.

A word counts with a plural or verb ending ("plans", "checked", "charging") when its bare form is
known. Words the Arabizi dialect list spells ("net", "ana", "bas") are decided by that list first.
"""

from __future__ import annotations

import functools
import json
import re

_COMMON = """
about above account activate active add address after again age ago airport alarm all allow almost
alone already always amount android answer any anyone anything app apple apply april area arrive ask
august available average away back bad bag balance bank bar base basic battery beach bed before begin
behind best better between big bill birthday bit black block blue board book borrow boss both bottle
bought box boy brand break breakfast bring broken brother brown budget build bus business busy buy
cable cafe call camera cancel car card care cash cat cause center change channel chat cheap check
cheese chicken child children choose cinema city class clean clear click clock close cloth clothes
cloud club coffee cold college color come company computer contact control cook cool copy correct cost
could country course cousin cover credit cup current customer cut daily dance dark date daughter day
dead deal dear december decide delete delivery desk detail device dinner direct discount doctor document
dog dollar door double down download dress drink drive driver during each early easy eat email empty
end english enough enter error euro evening event every exam example exchange expensive explain extra
face fail fall family far fast father favorite february feel file film find fine finish fire first fish
fix flight floor flower fly follow food football forget form free friday friend from front full fun
game garden gift girl give glass gold good great green group guide hair half hand happen happy hard
head health hear heart help high history hold holiday home homework hospital hot hotel hour house
hungry husband idea important include information inside install issue item january job join july
june just keep key kid kind kitchen know language large last late later learn leave left lesson letter
level library life light like limit line link list listen little live load loan local lock login long
look lose lost love low lunch machine mail make man manager many map march market match maybe meal mean
meet meeting member memory menu message meter middle might mile milk minute miss mistake model moment
monday money month more morning most mother move movie much music must name near need never new news
next nice night nothing notice november now number october offer office often old once online only
open order other out outside over own page paid pain paper parent park part party pass password past
pay payment people per percent person phone photo picture place plan play player please point police
pool poor popular post power present press pretty price print private problem product program promo
pull purchase put question quick quiet radio rain rate read ready real reason receive recent recipe
red refund register remember remove rent repair repeat reply report request reset rest restaurant
result return right road room rule run sad safe salary sale same saturday save say school screen
search season seat second see sell send september service set share shop short should show sick side
sign simple since single sister site size sleep slow small smart snow some someone something son soon
sorry speak special speed spend sport start station stay step stop store story street strong student
study subscribe subscription sunday support sure switch system table take talk tax taxi teacher team
tell test text than then thing think thursday ticket time today together tomorrow tonight top total
tourist town track train transfer travel trip true try tuesday turn type under understand university
unlimited until update upgrade use user usual value video visa visit voice wait wake walk wall wallet
watch water way wear weather website wednesday week weekend weight welcome well what white whole wife
win window winter wish without woman word work world worse write wrong year yellow yesterday young
zero
essay resume poem story joke translate translation summary homework assignment cv letter speech song
lyrics recipe weather forecast temperature news score league premier cup goal exchange rate dinar
gold silver bitcoin crypto stock stocks market shares invest investment loan mortgage insurance
salary job jobs hiring vacancy apartment house rent car cars used second hand bike
code coding program programming python java javascript typescript html css sql php ruby golang rust
kotlin swift excel word powerpoint script function bug debug compile server database website api
laptop computer tablet ipad iphone samsung galaxy xiaomi huawei oppo redmi nokia pixel apple google
android ios windows linux macbook playstation xbox nintendo netflix youtube spotify whatsapp telegram
instagram facebook tiktok snapchat twitter viber skype zoom gmail outlook amazon ebay alibaba aliexpress
talabat careem uber chatgpt openai microsoft adobe photoshop steam pubg fifa minecraft roblox
iraq iraqi baghdad basra erbil mosul najaf karbala kirkuk sulaymaniyah duhok dubai turkey istanbul
iran jordan amman syria lebanon egypt cairo kuwait saudi qatar
ticket tickets flight flights visa passport embassy hotel hotels booking
""".split()

_WORD = re.compile(r"[a-z]+")
_ENDINGS = ("ing", "ed", "es", "s")


@functools.lru_cache(maxsize=1)
def _pack_english() -> frozenset[str]:
    """The English words of the shipped default pack (empty when it cannot be read)."""
    from nura_appliance.paths import default_pack_path

    try:
        pack = json.loads(default_pack_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    words: set[str] = set()

    def walk(node: object, english: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, english or key == "en")
        elif isinstance(node, list):
            for value in node:
                walk(value, english)
        elif isinstance(node, str) and english:
            words.update(w for w in _WORD.findall(node.casefold()) if len(w) >= 3)

    walk(pack, False)
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def _english() -> frozenset[str]:
    from nura_appliance.knowledge.stemming import ENGLISH_STOPWORDS

    return frozenset(_COMMON) | ENGLISH_STOPWORDS | _pack_english()


@functools.lru_cache(maxsize=8192)
def is_english_word(word: str) -> bool:
    """Whether a normalised Latin word (no digits) is a known English word, bare or with a
    plural or verb ending ("plans", "checked", "charging")."""
    if len(word) < 3 or not word.isascii() or not word.isalpha():
        return False
    known = _english()
    if word in known:
        return True
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            rest = word[: -len(ending)]
            if rest in known or rest + "e" in known:
                return True
    return False
