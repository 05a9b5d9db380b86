"""Make the templated part of the QA set: "how much/how many" questions from BBC sentences.

Usage: python benchmarks/qa_templates.py > benchmarks/data/qa_templated.jsonl
       python benchmarks/qa_templates.py --start 13 > benchmarks/data/qa_templated_heldout.jsonl

For every 20th BBC article from the 4th (the held-out split: from the 14th), skipping ones
the hand-written set uses and titles that occur twice, take the first sentence after the
lead that holds a figure (12,800 / 76% / $1.13bn / £600m), drop its bracketed asides, keep
at most 8 words either side of the figure, and put "how much"/"how many" in the figure's
place. The figure is the gold answer. These questions are answerable by construction but
lexically close to their sentence: an optimistic set, reported apart from the hand-written
questions.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpora import BBC
from bot.text.sentences import sentence_spans

HAND = Path(__file__).resolve().parent / "data" / "qa_hand.jsonl"
FIGURE = re.compile(r"(?:[$£€]\s?)?\d[\d,.]*(?:\s?(?:%|bn|m|billion|million|per cent))?")
CONTEXT_WORDS = 8


def question_from(sentence: str) -> tuple[str, str] | None:
    sentence = re.sub(r"\s*\([^)]*\)", "", sentence).strip()
    for m in FIGURE.finditer(sentence):
        figure = m.group().rstrip(".,")
        if re.fullmatch(r"(19|20)\d\d", figure) or len(re.sub(r"\D", "", figure)) < 1:
            continue
        if not re.search(r"[%$£€]|bn|m\b|million|billion|\d{2,}", figure):
            continue
        money = bool(re.search(r"[%$£€]|bn|m\b|million|billion|per cent", figure))
        before = sentence[: m.start()].split()[-CONTEXT_WORDS:]
        after = sentence[m.end() :].split()[:CONTEXT_WORDS]
        ask = "how much" if money else "how many"
        text = " ".join([*before, ask, *after]).rstrip(" .,;:")
        return text[0].upper() + text[1:] + "?", figure
    return None


def main() -> None:
    start = int(sys.argv[2]) if sys.argv[1:2] == ["--start"] else 3
    with HAND.open(encoding="utf-8") as fh:
        hand = {json.loads(line)["article"] for line in fh}
    with gzip.open(BBC, "rt", encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh]
    titles = Counter(item["title"] for item in items)
    for item in items[start::20]:
        if item["id"] in hand or titles[item["title"]] > 1:
            continue
        body = item["body"]
        spans = sentence_spans(body)[1:]
        for s, e in spans:
            made = question_from(body[s:e])
            if made:
                question, answer = made
                row = {
                    "question": question,
                    "answer": answer,
                    "corpus": "bbc",
                    "article": item["id"],
                    "made": "template",
                }
                print(json.dumps(row, ensure_ascii=False))
                break


if __name__ == "__main__":
    main()
