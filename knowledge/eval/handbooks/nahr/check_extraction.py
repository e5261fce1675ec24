"""Report which expected facts survive plain pypdf text extraction of the Nahr PDF.

Information for the retrieval engineer, not a test: a fact that pypdf scrambles (bidi reordering
of numbers, codes and Latin runs inside Arabic lines) can only be found with a better extractor
or normalisation. It reads the dev files only: the frozen test split is never opened by a tuning
tool. Usage: python knowledge/eval/handbooks/nahr/check_extraction.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pypdf

HERE = Path(__file__).resolve().parent


def main() -> None:
    reader = pypdf.PdfReader(HERE / "docs" / "nahr-service-guide.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    facts: dict[str, list[str]] = {}
    for path in sorted(HERE.glob("dev*.jsonl")):
        name = path.name
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            if "fact" in case["expect"]:
                facts.setdefault(case["expect"]["fact"], []).append(name.split(".")[0])
    kept = [fact for fact in facts if fact in text]
    lost = [fact for fact in facts if fact not in text]
    print(f"{len(reader.pages)} pages, {len(text)} characters extracted")
    print(f"facts found verbatim in the extraction: {len(kept)} of {len(facts)}")
    for fact in lost:
        print(f"  not verbatim: {fact!r} ({', '.join(sorted(set(facts[fact])))})")


if __name__ == "__main__":
    main()
