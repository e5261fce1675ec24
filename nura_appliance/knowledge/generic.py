"""Generic words: everyday words a telecom desk shares with every other business (issue 16,
eighth out-of-scope pass, `h16oos`).

"كود", "سعر", "رقم", "شحن", "موبايل": a telecom pack uses them in many articles (a PIN *code*, a
package *price*, a *number*, *charging* a balance, a *mobile*), and so do questions about anything
else — a game's top-up code, the dollar's price, the police's number, a charger, a phone for sale.
A message whose match with the winning article rests on such words alone, while the rest of the
message is not in that article, says nothing about *this* desk's matter: "شحن جواهر فري فاير"
(game gems) shares only "شحن" with the recharge article, "نرخی ئایفۆن لە بازاڕ" (an iPhone's
market price) only "نرخ" with the packages article. The article tier then does not answer
(``retrieval.ArticleMatcher.decide``).

Written from the words themselves (the everyday vocabulary of codes and their activation and discounts, numbers, prices, charging,
devices, working, newness and age, writing, buying and selling, in Arabic and its dialects, Sorani,
Kurmanji and English), not from evaluation cases. Left out on purpose, because they name the
desk's own matter even alone: card ("كارت", the recharge card), balance, line, SIM, package,
internet, network, account and password (``lexicon.other_service_words`` handles another
service's), PIN/PUK.
"""

from __future__ import annotations

from functools import lru_cache

from nura_appliance.knowledge.normalize import analysis as shared_analysis

_FORMS = (
    # codes
    "رمز رموز الرمز كود اكواد الكود code codes kod koda kodê کۆد کۆدی کۆدەکە"
    # activating one, a discount on one
    " تفعيل تفعيله activation activate çalakirin چالاککردن خصم discount promo daxistin داشکاندن"
    # numbers
    " رقم ارقام الرقم number numbers hejmar hejmara ژمارە ژمارەی"
    # prices: the concept (سعر, price, نرخ, biha, cost …) is generic as a whole, see _CONCEPTS
    # charging (a balance, a battery, a game account)
    " شحن اشحن يشحن شحنت charge charging"
    # the device
    " موبايل موبايلات هاتف هواتف تلفون جوال phone phones mobile telefon telefona مۆبایل تەلەفۆن"
    # working; new, old and used
    " يشتغل تشتغل work works working kar جديد جديده new nû نوێ قديم قديمه old kevn کۆن"
    " مستعمل مستعمله used بەکارهاتوو"
    # writing, buying, selling
    " اكتب يكتب write binivîse بنووسە بيع ابيع للبيع sell selling difroşim bifroşim دەفرۆشم بفرۆشم"
    " اشتري شراء buy buying bikirim bikirin کڕین بکڕم بیکڕم"
)
# Concepts (``lexicon``) every one of whose words is generic.
_CONCEPTS = frozenset(("kcprice",))


@lru_cache(maxsize=1)
def _roots() -> frozenset[str]:
    """The stems the message analysis gives the generic words (each form analysed alone, as a
    message of one word is: Sorani forms with their Sorani stemming)."""
    found: set[str] = set()
    for form in _FORMS.split():
        found.update(root for root, _ in shared_analysis(form).units())
    return frozenset(found)


def generic(root: str, concept: str | None) -> bool:
    """Whether one content word of a message (its stem and concept, as ``normalize.analysis``
    gives them) is a generic word: a number, a code, a price, a charge, a phone …"""
    return root in _roots() or (concept is not None and concept in _CONCEPTS)
