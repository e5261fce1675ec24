"""Knowledge packs (``nura-knowledge/1``): validation with precise errors, the original NURA's
``articals.json`` + ``topic_tree.json`` conversion, and export. See docs/KNOWLEDGE_FORMAT.md."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from nura_appliance.errors import ValidationFailed
from nura_appliance.knowledge.places import Gazetteer, PlacesError
from nura_appliance.languages import LANG_LIST, LANGS, fallback_order

FORMAT = "nura-knowledge/1"
# How a rule's phrases match a message: the whole message (a word or two around tolerated), or
# anywhere in it. See knowledge/rules.py.
RULE_MATCHES = ("exact", "contains")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
# What a topic-tree node without children or article can do: hand the chat to a person, or open
# the suggestion/complaint form (the original NURA's topic_tree.json has both).
TREE_ACTIONS = ("agent", "complaint")
MAX_PACK_BYTES = 50_000_000


class PackError(ValidationFailed):
    """A pack is malformed; the message names the article, node or field."""

    code = "invalid_pack"


def _texts(value: Any, where: str, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if isinstance(value, str):
        raise PackError(f'{where}: expected an object of languages like {{"ar": "…"}}, got a string')
    if not isinstance(value, dict):
        raise PackError(f'{where}: expected an object of languages like {{"ar": "…"}}')
    out: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in LANGS:
            raise PackError(f"{where}: unknown language {lang!r} (use {LANG_LIST})")
        if not isinstance(text, str):
            raise PackError(f"{where}.{lang}: expected text")
        if text.strip():
            out[lang] = text.strip()
    if required and not out:
        raise PackError(f"{where}: needs text in at least one of {LANG_LIST}")
    return out


def _examples(value: Any, where: str) -> dict[str, list[str]]:
    if value is None:
        return {}
    if isinstance(value, list):  # a flat list: languages unknown, keep them under "any"
        value = {"ar": value}
    if not isinstance(value, dict):
        raise PackError(f"{where}: expected an object of languages with lists of questions")
    out: dict[str, list[str]] = {}
    for lang, items in value.items():
        if lang not in LANGS:
            raise PackError(f"{where}: unknown language {lang!r} (use {LANG_LIST})")
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise PackError(f"{where}.{lang}: expected a list of texts")
        kept = [i.strip() for i in items if i.strip()]
        if kept:
            out[lang] = kept
    return out


def _slug(value: Any, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _SLUG.match(value):
        raise PackError(f"{where}: id must be a lower-case slug like 'internet-slow' (got {value!r})")
    return value


def _with_ids(items: Iterable[Any], key: str, label: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each object of the pack's list ``key`` with its id, a slug unique in the list (errors name
    the item: "rules[2]: expected an object", "rule 'greet': duplicate id")."""
    seen: set[str] = set()
    for index, raw in enumerate(items):
        where = f"{key}[{index}]"
        if not isinstance(raw, dict):
            raise PackError(f"{where}: expected an object")
        item_id = _slug(raw.get("id"), f"{where}.id")
        if item_id in seen:
            raise PackError(f"{label} {item_id!r}: duplicate id")
        seen.add(item_id)
        yield item_id, raw


def validate_pack(data: Any) -> dict[str, Any]:
    """Return a clean copy of ``data`` or raise :class:`PackError` naming what is wrong."""
    if not isinstance(data, dict):
        raise PackError("pack: expected a JSON object")
    fmt = data.get("format")
    if fmt != FORMAT:
        raise PackError(f"pack.format: expected {FORMAT!r} (got {fmt!r})")
    raw_articles = data.get("articles")
    if not isinstance(raw_articles, list):
        raise PackError("pack.articles: expected a list")
    articles: list[dict[str, Any]] = []
    for article_id, raw in _with_ids(raw_articles, "articles", "article"):
        where = f"article {article_id!r}"
        keywords = raw.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise PackError(f"{where}.keywords: expected a list of texts")
        category = raw.get("category")
        if category is not None and not isinstance(category, str):
            raise PackError(f"{where}.category: expected text")
        articles.append(
            {
                "id": article_id,
                "category": category or "general",
                "title": _texts(raw.get("title"), f"{where}.title", required=True),
                "body": _texts(raw.get("body"), f"{where}.body", required=True),
                "examples": _examples(raw.get("examples"), f"{where}.examples"),
                "keywords": [k.strip() for k in keywords if k.strip()],
            }
        )

    seen = {article["id"] for article in articles}
    node_ids: set[str] = set()

    def clean_node(raw: Any, where: str, depth: int) -> dict[str, Any]:
        if depth > 12:
            raise PackError(f"{where}: the topic tree is nested too deeply")
        if not isinstance(raw, dict):
            raise PackError(f"{where}: expected an object")
        node_id = _slug(raw.get("id"), f"{where}.id")
        where = f"topic node {node_id!r}"
        if node_id in node_ids:
            raise PackError(f"{where}: duplicate id")
        node_ids.add(node_id)
        node: dict[str, Any] = {"id": node_id, "label": _texts(raw.get("label"), f"{where}.label", required=True)}
        children = raw.get("children")
        article = raw.get("article")
        action = raw.get("action")
        if sum(x is not None for x in (children, article, action)) > 1:
            raise PackError(f"{where}: a node has children, an article or an action, only one of them")
        if action is not None:
            if action not in TREE_ACTIONS:
                raise PackError(f"{where}.action: expected one of {', '.join(TREE_ACTIONS)} (got {action!r})")
            node["action"] = action
        elif article is not None:
            article = _slug(article, f"{where}.article")
            if article not in seen:
                raise PackError(f"{where}.article: no article with id {article!r}")
            node["article"] = article
        else:
            if not isinstance(children, list):
                raise PackError(f"{where}.children: expected a list (or an 'article')")
            node["children"] = [clean_node(c, f"{where}.children[{i}]", depth + 1) for i, c in enumerate(children)]
        return node

    tree_raw = data.get("topic_tree")
    tree = clean_node(tree_raw, "topic_tree", 0) if tree_raw is not None else None

    rules: list[dict[str, Any]] = []
    for rule_id, raw in _with_ids(data.get("rules") or [], "rules", "rule"):
        match = raw.get("match", "exact")
        if match not in RULE_MATCHES:
            raise PackError(f"rule {rule_id!r}.match: use one of {', '.join(RULE_MATCHES)} (got {match!r})")
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            raise PackError(f"rule {rule_id!r}.enabled: expected true or false")
        rules.append(
            {
                "id": rule_id,
                "patterns": _examples(raw.get("patterns"), f"rule {rule_id!r}.patterns"),
                "response": _texts(raw.get("response"), f"rule {rule_id!r}.response", required=True),
                "match": match,
                "enabled": enabled,
            }
        )

    canned: list[dict[str, Any]] = []
    for reply_id, raw in _with_ids(data.get("canned_replies") or [], "canned_replies", "canned reply"):
        lang = raw.get("lang", "ar")
        if lang not in LANGS:
            raise PackError(f"canned reply {reply_id!r}.lang: use {LANG_LIST}")
        title, text = raw.get("title"), raw.get("text")
        if not isinstance(text, str) or not text.strip():
            raise PackError(f"canned reply {reply_id!r}.text: required")
        canned.append({"id": reply_id, "lang": lang, "title": str(title or reply_id), "text": text.strip()})

    clean: dict[str, Any] = {
        "format": FORMAT,
        "name": str(data.get("name") or "knowledge pack"),
        "languages": [],
        "scope_message": _texts(data.get("scope_message"), "pack.scope_message", required=False),
        "articles": articles,
        "topic_tree": tree,
        "rules": rules,
        "canned_replies": canned,
    }
    if data.get("out_of_scope_examples") is not None:
        clean["out_of_scope_examples"] = _out_of_scope_examples(data["out_of_scope_examples"])
    if data.get("places") is not None:
        try:
            Gazetteer.from_data(data["places"])
        except PlacesError as exc:
            raise PackError(f"pack.places: {exc}") from None
        clean["places"] = data["places"]
    used = _languages_used(clean)
    declared = _declared_languages(data.get("languages"))
    if declared is not None:
        for lang, where in used.items():
            if lang not in declared:
                raise PackError(
                    f"{where}: text in {lang!r}, which the pack does not declare"
                    f" (pack.languages is {declared}; add {lang!r} there or remove the text)"
                )
    clean["languages"] = declared if declared is not None else [lang for lang in LANGS if lang in used]
    return clean


MAX_OUT_OF_SCOPE_EXAMPLES, MAX_OUT_OF_SCOPE_CHARS = 2000, 300


def _out_of_scope_examples(value: Any) -> list[str]:
    """``pack.out_of_scope_examples``: questions the pack does not answer, in any language; they
    extend the built-in background class of the article tier (knowledge/oos_bank.json)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PackError("pack.out_of_scope_examples: expected a list of questions (strings)")
    texts = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(texts) > MAX_OUT_OF_SCOPE_EXAMPLES:
        raise PackError(f"pack.out_of_scope_examples: at most {MAX_OUT_OF_SCOPE_EXAMPLES} questions")
    for text in texts:
        if len(text) > MAX_OUT_OF_SCOPE_CHARS:
            raise PackError(f"pack.out_of_scope_examples: a question longer than {MAX_OUT_OF_SCOPE_CHARS} characters")
    return texts


def _declared_languages(value: Any) -> list[str] | None:
    """``pack.languages``: None when absent (every known language may appear), else the list."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise PackError(f'pack.languages: expected a non-empty list of language codes like ["ar", "ckb"] ({LANG_LIST})')
    for lang in value:
        if lang not in LANGS:
            raise PackError(f"pack.languages: unknown language {lang!r} (use {LANG_LIST})")
    return list(dict.fromkeys(value))


def _languages_used(pack: dict[str, Any]) -> dict[str, str]:
    """Every language that carries text in ``pack`` → the first place it does (for errors)."""
    used: dict[str, str] = {}

    def note(texts: dict[str, Any], where: str) -> None:
        for lang in texts:
            used.setdefault(lang, f"{where}.{lang}")

    note(pack["scope_message"], "pack.scope_message")
    for article in pack["articles"]:
        where = f"article {article['id']!r}"
        for part in ("title", "body", "examples"):
            note(article[part], f"{where}.{part}")
    stack = [pack["topic_tree"]] if pack["topic_tree"] else []
    while stack:
        node = stack.pop()
        note(node["label"], f"topic node {node['id']!r}.label")
        stack.extend(node.get("children", []))
    for rule in pack["rules"]:
        note(rule["patterns"], f"rule {rule['id']!r}.patterns")
        note(rule["response"], f"rule {rule['id']!r}.response")
    for reply in pack["canned_replies"]:
        used.setdefault(reply["lang"], f"canned reply {reply['id']!r}.lang")
    return used


def read_pack_file(path: Path) -> dict[str, Any]:
    """Read and validate a pack file; errors name the file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PackError(f"{path}: {exc.strerror or exc}") from None
    if size > MAX_PACK_BYTES:
        raise PackError(f"{path}: larger than {MAX_PACK_BYTES // 1_000_000} MB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise PackError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise PackError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    try:
        return validate_pack(data)
    except PackError as exc:
        raise PackError(f"{path.name}: {exc.message}") from None


def from_legacy(articles: Any, tree: Any | None) -> dict[str, Any]:
    """Convert the original NURA's ``articals.json`` (list; position = article index; ``title``,
    ``content_ar``) and ``topic_tree.json`` (leaves name an article index) into a pack."""
    if not isinstance(articles, list):
        raise PackError("articals.json: expected a JSON list of articles")
    out_articles = []
    for index, raw in enumerate(articles):
        if not isinstance(raw, dict):
            raise PackError(f"articals.json[{index}]: expected an object")
        title = raw.get("title") or raw.get("title_ar")
        body = raw.get("content_ar") or raw.get("content") or raw.get("body")
        if not isinstance(title, str) or not title.strip():
            raise PackError(f"articals.json[{index}].title: required")
        if not isinstance(body, str) or not body.strip():
            raise PackError(f"articals.json[{index}].content_ar: required")
        texts_title = {"ar": title}
        texts_body = {"ar": body}
        for lang in LANGS[1:]:
            if isinstance(raw.get(f"title_{lang}"), str):
                texts_title[lang] = raw[f"title_{lang}"]
            if isinstance(raw.get(f"content_{lang}"), str):
                texts_body[lang] = raw[f"content_{lang}"]
        out_articles.append(
            {
                "id": f"article-{index}",
                "category": str(raw.get("category") or "general"),
                "title": texts_title,
                "body": texts_body,
                "keywords": [k for k in raw.get("keywords", []) if isinstance(k, str)],
            }
        )
    counter = iter(range(1_000_000))

    def convert(node: Any, where: str) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise PackError(f"{where}: expected an object")
        label = node.get("label") or node.get("title") or node.get("name") or ""
        labels = label if isinstance(label, dict) else {"ar": str(label)}
        node_id = str(node.get("id") or f"node-{next(counter)}").lower()
        node_id = re.sub(r"[^a-z0-9_-]", "-", node_id).strip("-") or f"node-{next(counter)}"
        out: dict[str, Any] = {"id": node_id, "label": labels}
        ref = node.get("article_id", node.get("article", node.get("article_index")))
        if node.get("action") is not None and ref is None and not node.get("children"):
            out["action"] = node["action"]  # validated below (agent or complaint)
        elif ref is not None:
            try:
                position = int(ref)
            except (TypeError, ValueError):
                raise PackError(f"{where}: article index must be a number (got {ref!r})") from None
            if not 0 <= position < len(out_articles):
                raise PackError(f"{where}: no article at index {position}")
            out["article"] = f"article-{position}"
        else:
            out["children"] = [convert(c, f"{where}.children[{i}]") for i, c in enumerate(node.get("children", []))]
        return out

    pack_tree = None
    if tree is not None:
        if isinstance(tree, list):
            tree = {"id": "root", "label": {"ar": "المواضيع"}, "children": tree}
        pack_tree = convert(tree, "topic_tree.json")
        pack_tree["id"] = "root"
    return validate_pack(
        {"format": FORMAT, "name": "imported NURA knowledge", "articles": out_articles, "topic_tree": pack_tree}
    )


def pick_text(texts: dict[str, str], lang: str) -> tuple[str, str]:
    """The text in ``lang``, else the next language its reader most likely reads
    (:func:`nura_appliance.languages.fallback_order`: Sorani → Arabic → English → Kurmanji, …);
    returns (text, its lang)."""
    for candidate in fallback_order(lang):
        if texts.get(candidate):
            return texts[candidate], candidate
    return "", lang
