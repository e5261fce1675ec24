"""Small handbooks for the handbook-answer tests, written for them (not evaluation data): the
two-chunk handbook of issue 17 and a call-centre handbook with a package price table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from nura_appliance.cli.main import app as cli

_runner = CliRunner()

# The example: two short sections, the fee in the first.
TWO_CHUNK = """# الأرقام المميزة

يمكن للمشترك حجز رقم مميز من أي فرع من فروع الشركة أو من خلال التطبيق. رسوم حجز الرقم المميز 2500 دينار تدفع مرة واحدة، ويبقى الحجز سارياً لمدة 7 أيام قبل التفعيل.

## الأرقام الذهبية

الأرقام الذهبية متاحة للمشتركين في الباقات الشهرية فقط. سعر الرقم الذهبي 50000 دينار ويشمل شريحة جديدة.
"""

# A call-centre handbook in the style teams write: headings, an agent script, a price table whose
# rows are named products, settings as "label: value" lines, a list.
PRICE_TABLE = """# دليل مركز الاتصال – شركة نجمة للاتصالات

هذا الدليل مرجع لموظفي مركز الاتصال. يبدأ الموظف المكالمة بالتحية ويذكر اسمه ثم يسأل عن رقم الخط.

## الباقات الشهرية

جميع الباقات تتجدد تلقائياً كل 30 يوماً إذا كان الرصيد كافياً.

| الباقة | السعر الشهري | الإنترنت | الدقائق |
|---|---|---|---|
| عطارد | 10000 دينار | 5 GB | 100 دقيقة |
| الزهرة | 18000 دينار | 15 GB | 300 دقيقة |
| المريخ | 27000 دينار | 40 GB | 600 دقيقة |
| المشتري | 45000 دينار | 100 GB | غير محدودة |

للاشتراك في أي باقة يطلب المشترك *300# ويختار اسم الباقة.

## إعدادات الإنترنت

إذا لم يعمل الإنترنت بعد تفعيل الباقة، تأكد من إعدادات نقطة الوصول:

- اسم نقطة الوصول APN: najma.net
- اسم المستخدم: يترك فارغاً
- نوع المصادقة: لا شيء

ثم أعد تشغيل الهاتف.

## عن الشركة

تأسست شركة نجمة للاتصالات عام 2009، ويبلغ عدد المشتركين 4.2 مليون مشترك في 12 محافظة.
"""

# The call-centre handbook's company has a one-article pack of its own (like the operator):
# the article tier knows opening hours, the handbook everything else.
ONE_ARTICLE_PACK = {
    "format": "nura-knowledge/1",
    "name": "Najma one-article pack",
    "scope_message": {
        "ar": "عذراً، أستطيع المساعدة فقط في خدمات نجمة للاتصالات.",
        "en": "Sorry, I can only help with Najma Telecom services.",
    },
    "articles": [
        {
            "id": "opening-hours",
            "title": {"ar": "أوقات عمل الفروع", "en": "Branch opening hours"},
            "body": {
                "ar": "تفتح فروع نجمة من الساعة 9 صباحاً حتى 5 مساءً من السبت إلى الخميس.",
                "en": "Najma branches open from 9 am to 5 pm, Saturday to Thursday.",
            },
            "examples": {"ar": ["متى تفتح الفروع؟"], "en": ["When do your branches open?"]},
        }
    ],
    "topic_tree": {
        "id": "root",
        "label": {"ar": "كل المواضيع", "en": "All topics"},
        "children": [{"id": "hours", "label": {"ar": "أوقات العمل", "en": "Hours"}, "article": "opening-hours"}],
    },
}


def import_and_ingest(data_dir: Path, pack: Path, docs: Path) -> None:
    """``nura knowledge import PACK`` then ``nura knowledge ingest DOCS`` into ``data_dir`` (the CLI,
    in process), each required to succeed."""
    for args in (["knowledge", "import", str(pack)], ["knowledge", "ingest", str(docs)]):
        result = _runner.invoke(cli, [*args, "--data-dir", str(data_dir)])
        assert result.exit_code == 0, result.output


def eval_offline(data_dir: Path, cases: list[dict[str, Any]], tmp_path: Path) -> dict[str, Any]:
    """Score ``cases`` with ``nura eval --json`` against the knowledge in ``data_dir`` (the
    product's evaluation path) and return the report."""
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases), encoding="utf-8")
    result = _runner.invoke(cli, ["eval", str(path), "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output[result.output.index("{") :])
    return report
