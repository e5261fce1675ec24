"""Write the Nahr Telecom service guide as a .docx (then convert it to PDF with LibreOffice).

Nahr Telecom is an invented operator used only for handbook evaluation (issue 17). The guide is
written the way a small operator's staff would write one in Word: Arabic paragraphs set
right-to-left, some English, headings, a package table and a branch table.

    python knowledge/eval/handbooks/nahr/make_guide.py /tmp/nahr-service-guide.docx
    soffice --headless --convert-to pdf --outdir knowledge/eval/handbooks/nahr/docs /tmp/nahr-service-guide.docx

Needs python-docx (`pip install python-docx`); the committed PDF is the output.
"""

from __future__ import annotations

import sys

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

ARABIC_FONT = "Noto Naskh Arabic"


def set_rtl(paragraph) -> None:
    """Mark a paragraph and its runs right-to-left, as Word does for Arabic text."""
    ppr = paragraph._p.get_or_add_pPr()
    bidi = OxmlElement("w:bidi")
    ppr.append(bidi)
    for run in paragraph.runs:
        rpr = run._r.get_or_add_rPr()
        rpr.append(OxmlElement("w:rtl"))
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.append(fonts)
        fonts.set(qn("w:cs"), ARABIC_FONT)
        fonts.set(qn("w:ascii"), ARABIC_FONT)
        fonts.set(qn("w:hAnsi"), ARABIC_FONT)


def ar_heading(doc: Document, text: str, level: int) -> None:
    set_rtl(doc.add_heading(text, level=level))


def ar_para(doc: Document, text: str, style: str | None = None) -> None:
    paragraph = doc.add_paragraph(text, style=style)
    set_rtl(paragraph)


def table(doc: Document, header: list[str], rows: list[list[str]], rtl: bool = True) -> None:
    grid = doc.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    if rtl:
        tblpr = grid._tbl.tblPr
        tblpr.append(OxmlElement("w:bidiVisual"))
    for cell, text in zip(grid.rows[0].cells, header, strict=True):
        cell.text = text
        for paragraph in cell.paragraphs:
            for run in paragraph.runs:
                run.bold = True
            if rtl:
                set_rtl(paragraph)
    for row in rows:
        cells = grid.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
            if rtl:
                for paragraph in cell.paragraphs:
                    set_rtl(paragraph)


def build(path: str) -> None:
    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    ar_heading(doc, "دليل خدمات نهر تيليكوم للمشتركين", 0)
    doc.add_paragraph("Nahr Telecom — Subscriber Service Guide, 2026 edition")

    ar_heading(doc, "من نحن", 1)
    ar_para(
        doc,
        "نهر تيليكوم شركة اتصالات متنقلة تأسست عام 2016 في مدينة البصرة، ويقع مقرها الرئيسي في "
        "شارع الجزائر. تخدم الشركة أكثر من 2.1 مليون مشترك في تسع محافظات جنوبية، وتغطي شبكتها "
        "الجيل الرابع 88% من مناطق الجنوب المأهولة.",
    )
    ar_para(
        doc,
        "خط خدمة المشتركين 133 مجاني من خطوط نهر ويعمل من 8 صباحاً حتى 11 ليلاً، ومن الشبكات "
        "الأخرى اتصل على 0771 133 0000.",
    )

    ar_heading(doc, "الرصيد والتعبئة", 1)
    ar_para(doc, "لمعرفة الرصيد اطلب *120# مجاناً.", style="List Bullet")
    ar_para(doc, "لتعبئة الرصيد بكارت نهر اطلب *121* ثم رقم الكارت ثم #.", style="List Bullet")
    ar_para(
        doc,
        "لتحويل رصيد إلى رقم نهر آخر اطلب *122*الرقم*المبلغ# (الحد الأعلى 20,000 دينار يومياً).",
        style="List Bullet",
    )

    ar_heading(doc, "باقات نهر الشهرية", 1)
    ar_para(doc, "تُفعَّل الباقات بالكود *150* ثم رقم الباقة ثم #، أو من تطبيق «نهري».")
    table(
        doc,
        ["رقم", "الباقة", "الإنترنت", "الدقائق", "المدة", "السعر"],
        [
            ["1", "نخلة (يومية)", "2 GB", "30 دقيقة", "يوم واحد", "1,250 دينار"],
            ["2", "دجلة", "12 GB", "250 دقيقة", "30 يوماً", "7,000 دينار"],
            ["3", "الفرات", "35 GB", "800 دقيقة", "30 يوماً", "16,500 دينار"],
            ["4", "شط العرب", "80 GB", "غير محدودة", "30 يوماً", "31,000 دينار"],
            ["5", "الأهوار", "غير محدود", "غير محدودة", "30 يوماً", "52,000 دينار"],
        ],
    )
    ar_para(doc, "باقة الأهوار تخضع لسياسة الاستخدام العادل: بعد 300 GB تنخفض السرعة إلى 2 ميغابت/ثانية.")

    ar_heading(doc, "إعدادات الإنترنت", 1)
    ar_para(doc, "اسم نقطة الوصول (APN): nahr.web")
    ar_para(doc, "إعدادات الرسائل المصورة: APN: nahr.mms — MMSC: http://mmsc.nahr:9201")
    ar_para(doc, "الشبكة لا تدعم الشريحة الإلكترونية eSIM حالياً، ومن المتوقع إطلاقها في عام 2027.")

    ar_heading(doc, "الرسوم", 1)
    table(
        doc,
        ["الخدمة", "الرسم"],
        [
            ["بدل شريحة مفقودة أو تالفة", "3,000 دينار"],
            ["رقم مميز (حجز)", "40,000 دينار"],
            ["تغيير ملكية الخط", "4,000 دينار"],
            ["إعادة الخط بعد الإيقاف لعدم الاستخدام", "1,500 دينار"],
        ],
    )

    ar_heading(doc, "التجوال", 1)
    ar_para(
        doc,
        "التجوال متاح في الكويت والسعودية وإيران وتركيا. فعّله بطلب *160# قبل السفر. باقة يوم "
        "التجوال في الكويت 5,500 دينار وتشمل 700 MB و15 دقيقة.",
    )

    ar_heading(doc, "فروعنا", 1)
    table(
        doc,
        ["المدينة", "العنوان", "الدوام"],
        [
            ["البصرة (المقر الرئيسي)", "شارع الجزائر، مجاور مصرف الرشيد", "8:00 – 20:00"],
            ["الناصرية", "شارع الحبوبي", "8:00 – 18:00"],
            ["العمارة", "شارع دجلة، قرب الجسر الكونكريتي", "8:00 – 18:00"],
            ["الكوت", "شارع المحافظة", "8:00 – 17:00"],
            ["السماوة", "شارع السوق المسقف", "8:00 – 17:00"],
        ],
    )
    ar_para(doc, "جميع الفروع مغلقة يوم الجمعة والعطل الرسمية.")

    ar_heading(doc, "الشكاوى", 1)
    ar_para(
        doc,
        "أرسل كلمة شكوى إلى 1330 أو اتصل بـ 133. يصلك رقم متابعة يبدأ بالحرفين NT، ونرد على كل شكوى خلال 72 ساعة.",
    )

    doc.add_heading("Corporate customers", level=1)
    doc.add_paragraph(
        "Nahr Business Desk serves companies with 10 lines or more. Contact business@nahr-telecom.example "
        "or call 0771 133 5050, Sunday to Thursday 8:30 to 15:30. Corporate lines get a dedicated "
        "account manager and monthly invoicing in Iraqi dinars."
    )
    doc.add_heading("Roaming partners", level=2)
    doc.add_paragraph("Kuwait: Gulfnet K · Iran: Parsnet · Turkey: Anatel · Saudi Arabia: Najd Mobile")
    doc.save(path)


if __name__ == "__main__":
    build(sys.argv[1] if len(sys.argv) > 1 else "nahr-service-guide.docx")
