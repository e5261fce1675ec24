"""axe-core in a Playwright page: the accessibility checks shared by the widget and admin tests.

``axe_violations(page)`` injects the vendored ``tests/vendor/axe-core/axe.min.js`` (test-only, see
its README) through ``page.evaluate``, which DevTools runs outside the page's Content-Security-Policy,
so pages under the strict widget CSP can be checked too. It runs the WCAG 2.0/2.1/2.2 A and AA rules
(plus axe's best practices unless ``best_practices=False``) and returns the violations in a short
form that reads well in an assertion message. Open shadow roots (the widget) are included by axe.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")

_RUN = """async ([selector, tags, bestPractices, disabled]) => {
  const runOnly = {type: 'tag', values: bestPractices ? tags.concat(['best-practice']) : tags};
  const rules = {};
  for (const id of disabled) rules[id] = {enabled: false};
  const context = selector ? {include: [selector]} : document;
  const result = await axe.run(context, {runOnly, rules, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target, summary: (n.failureSummary || '').slice(0, 300)}))
  }));
}"""


def inject_axe(page: Any) -> None:
    """Load axe-core into the page once (a second call is a no-op)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))


def axe_violations(
    page: Any,
    *,
    selector: list[str] | str | None = None,
    best_practices: bool = True,
    disabled: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """The axe violations on the page (or inside ``selector``; a list addresses a shadow root:
    ``["nura-chat-widget", ".nw-panel"]``)."""
    inject_axe(page)
    target = [selector] if isinstance(selector, str) else selector
    return page.evaluate(_RUN, [target, list(WCAG_TAGS), best_practices, list(disabled)])


def describe(violations: list[dict[str, Any]]) -> str:
    """A readable summary for assertion messages."""
    return json.dumps(violations, ensure_ascii=False, indent=1)[:6000]
