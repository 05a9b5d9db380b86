"""The disagreements briefings flag, day by day, as a sheet to judge by hand.

    python benchmarks/disagreements.py --data-dir DIR --since 2023-12-01 --until 2023-12-31 \
        [--top 20] [--out sheet.md] [--ablate RULE ...]

DIR holds a briefbot database of the RSS corpus (`briefbot ingest
../shared/corpora/rss-2023-09-12-en.jsonl.gz --data-dir DIR --no-seeds`). Every flagged
disagreement of the top stories of each UTC day is listed with the full sentence behind each
side, its outlet and time, numbered, so a person can read both and mark it right or wrong.
The rules were tuned on September and November 2023 (the dev split); precision is reported
on December (see docs/insight.md). `--ablate` turns one rule of the detector off, to see on
the dev split what each rule removes: parsing (unsure figures, sums), update (a later higher
toll), references (place and time named), context (sentence overlap and shared places),
report-places (the two reports name a common place), attribution (a cause
must be someone's claim), opposed (the blamed party blames another or denies).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = str(Path(__file__).resolve().parent.parent)
sys.path.insert(0, ROOT)

from bot.briefing import disagreements as detector  # noqa: E402
from bot.briefing.builder import BriefingBuilder  # noqa: E402
from bot.briefing.window import day_window  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.engine import Engine  # noqa: E402


def _old_opposed(a: Any, b: Any) -> bool:
    kinds = {a.key[0], b.key[0]}
    if kinds == {"cause"}:
        return not detector._same_party(a.key[1], b.key[1])
    return kinds == {"cause", "denial"} and detector._same_party(a.key[1], b.key[1])


_attributed = detector._attribution
ABLATIONS: dict[str, dict[str, Any]] = {
    "parsing": {"_unsure_number": lambda *_: False, "_is_sum": lambda *_: False},
    "update": {"_is_update": lambda *_: False},
    "references": {"_compatible_references": lambda *_: True},
    "context": {"_same_event": lambda *_: True},
    "report-places": {"_same_places": lambda *_: True},
    "attribution": {"_attribution": lambda *args: _attributed(*args) or ""},
    "opposed": {"_opposed": _old_opposed},
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--since", type=date.fromisoformat, required=True)
    parser.add_argument("--until", type=date.fromisoformat, required=True)
    parser.add_argument("--top", type=int, default=20, help="stories per day")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--ablate", nargs="*", default=[], choices=sorted(ABLATIONS))
    args = parser.parse_args()
    for rule in args.ablate:
        for name, replacement in ABLATIONS[rule].items():
            setattr(detector, name, replacement)
    settings = Settings(data_dir=args.data_dir, auto_seed=False)
    # Unvalidated on purpose: a briefing shows at most 30 stories, the sheet reads every one.
    settings.briefing = type(settings.briefing).model_construct(
        **{**settings.briefing.model_dump(), "top_stories": args.top}
    )
    engine = Engine(settings)
    builder = BriefingBuilder(engine.store, settings)
    lines: list[str] = []
    case = 0
    stories = 0
    day = args.since
    while day <= args.until:
        window = day_window(day)
        articles = {
            a.id: a
            for a in engine.store.articles.window(
                window.since, window.until, settings.briefing.max_articles
            )
        }
        briefing, drafts = builder._build(window, ())
        stories += len(briefing.stories)
        for story, draft in zip(briefing.stories, drafts, strict=True):
            for conflict, line in zip(draft.conflicts, story.disagreements, strict=True):
                case += 1
                lines.append(f"### {case}. {day} · {story.headline}\n")
                lines.append(f"> {line.text}\n")
                for side in conflict.sides:
                    a = articles[side.article_id]
                    lines.append(f"- {a.source} {a.when:%m-%d %H:%M}: {side.sentence}")
                lines.append("\n- verdict: \n")
        day += timedelta(days=1)
    engine.close()
    header = (
        f"# Flagged disagreements {args.since}..{args.until}"
        f"{' without ' + ', '.join(args.ablate) if args.ablate else ''} "
        f"(top {args.top} stories a day: {stories} stories, {case} flagged)\n"
    )
    text = header + "\n" + "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(f"{case} flagged in {stories} stories", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
