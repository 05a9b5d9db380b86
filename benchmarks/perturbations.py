"""Claim verification against twisted and faithful versions of real news sentences.

From the BBC corpus (`../shared/corpora/bbc-news-2225.jsonl.gz`), each sentence of 8-45
words is paired with its passage (the sentence with two neighbours on each side, like a
retrieval chunk) and rewritten by one general transformation:

- twisted, should be dropped: negation (a "not" added after an auxiliary or removed),
  role swap (two names around a verb exchanged), number swap (two figures exchanged),
  antonym (a predicate replaced by its opposite), actor swap (a name replaced by another
  name of the same article), unsupported addition (a clause of another article appended);
- faithful, should be kept: unchanged, and paraphrased (attribution moved, trailing clause
  cut, introductory phrase moved, passive made active, a title dropped, a common word
  replaced by a synonym, two adjacent sentences merged).

Articles are split by a hash of their id: `dev` is what the checks were tuned on, `test` is
what is reported. Every sentence goes through `bot.answer.verify.check_claim`, the same
function answers use.

    python benchmarks/perturbations.py [--per-kind 400] [--split test] [--write-docs]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.reporting import machine, write_section  # noqa: E402
from bot.answer.claims import OPPOSITES, Claim, lemma_stem  # noqa: E402
from bot.answer.verify import CLAIM_CHECKS, Evidence, check_claim  # noqa: E402
from bot.models import Passage  # noqa: E402
from bot.text.sentences import split_sentences  # noqa: E402
from bot.text.words import STOPWORDS  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpora" / "bbc-news-2225.jsonl.gz"
SECTION = "## Claim verification: perturbation benchmark (issue 12)"
TWISTED = ["negation", "role_swap", "number_swap", "antonym", "actor_swap", "addition"]
FAITHFUL = ["unchanged", "paraphrase"]
DIAGNOSTIC = ["antonym_outside_lexicon"]

_AUX = re.compile(
    r"\b(is|are|was|were|has|have|had|will|would|can|could|should|may|might|must)\b(?! not\b)"
)
_NEGATION = re.compile(r"\s+(?:not|never)\b|n't\b")
_WORD = r"(?:[A-Z][a-z]+(?:[-'][A-Za-z]+)*|[A-Z]{2,})"
_NAME = re.compile(rf"\b{_WORD}(?:\s+{_WORD})*")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_IRREGULAR_PAST = {"said": "say", "told": "tell", "made": "make", "took": "take"}
_TITLES = frozenset("Mr Mrs Ms Dr Sir Lord Prime Minister President Chancellor Secretary".split())
_CALENDAR = frozenset(
    """January February March April May June July August September October November December
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split()
)
# What may stand between two participants around a verb: auxiliaries and articles.
_VERB_GROUP = frozenset(
    "has have had was were is are will would did could can may the a an".split()
)

# Surface pairs for the antonym kind (inflected as they appear in text). Pairs whose two
# sides the verifier's lexicon does not oppose go to the `antonym_outside_lexicon` row.
_ANTONYM_SURFACE = """
rose fell | increased decreased | increase decrease | rising falling | grew shrank
won lost | win lose | wins loses | winning losing | victory defeat
praised criticised | praised condemned | welcomed condemned | backed opposed
accepted rejected | approved rejected | agreed refused | supported opposed | support oppose
confirmed denied | admitted denied | allowed banned | allow ban | opened closed | open close
success failure | succeeded failed | strong weak | stronger weaker | higher lower
high low | more less | most least | profit loss | profits losses | bought sold | buy sell
hired fired | arrived departed | largest smallest | biggest smallest | big small
large small | rich poor | early late | earlier later | first last | include exclude
positive negative | majority minority | guilty innocent | legal illegal | likely unlikely
able unable | known unknown | clear unclear | released arrested | start end | began ended
cheap expensive | safe dangerous | easy difficult | true false | better worse | best worst
north south | east west | increasing decreasing | boosted cut | raised lowered
""".strip()


@dataclass
class Case:
    kind: str
    text: str
    passage: Passage
    original: str


def _passage(title: str, text: str, article: int) -> Passage:
    return Passage(
        chunk_id=article,
        article_id=article,
        ordinal=0,
        text=text,
        start=0,
        end=len(text),
        title=title,
        url=None,
        source=None,
        published_at=None,
        ingested_at=datetime.now(UTC),
    )


def split_of(article_id: str) -> str:
    return "dev" if hashlib.sha1(article_id.encode()).digest()[0] % 2 == 0 else "test"


def articles(split: str) -> Iterator[tuple[str, str, list[str]]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if split_of(str(row["id"])) == split:
                yield str(row["id"]), row["title"], split_sentences(row["body"])


def _names(text: str) -> list[re.Match[str]]:
    return [
        m
        for m in _NAME.finditer(text)
        if m.start() > 0
        and not re.search(r"(?:[\"“'(:-]|[.!?]\s*)\s*$", text[: m.start()])
        and m.group() not in _TITLES
        and not set(m.group().split()) & _CALENDAR
        and m.group().split()[0].lower() not in STOPWORDS
    ]


# --- twisted -------------------------------------------------------------------------------
def negation(s: str, _ctx: Context) -> str | None:
    if _NEGATION.search(s):
        return _NEGATION.sub("", s, count=1)
    m = _AUX.search(s)
    if m and m.start() > 0:
        return s[: m.end()] + " not" + s[m.end() :]
    for past, base in _IRREGULAR_PAST.items():
        m = re.search(rf"\b{past}\b", s)
        if m and m.start() > 0:
            return s[: m.start()] + f"did not {base}" + s[m.end() :]
    return None


def role_swap(s: str, _ctx: Context) -> str | None:
    claim = Claim(s)
    names = [
        m
        for m in _NAME.finditer(s)
        if not {w.removesuffix("'s") for w in m.group().split()} & _CALENDAR
        and m.group().split()[0].lower() not in STOPWORDS
        and (m.start() > 0 or " " in m.group())
    ]
    for a, b in itertools.pairwise(names):
        between = s[a.end() : b.start()]
        words = between.split()
        if a.group() == b.group() or not 1 <= len(words) <= 3 or not between.startswith(" "):
            continue
        verbs = [w for w in words if w not in _VERB_GROUP]
        if len(verbs) != 1 or not verbs[0].isalpha():
            continue
        heads = [t for t in claim.tokens if t.text == verbs[0]]
        if not heads or not claim.verb_like(heads[0].index):
            continue
        return s[: a.start()] + b.group() + between + a.group() + s[b.end() :]
    return None


def number_swap(s: str, _ctx: Context) -> str | None:
    found = list(_NUMBER.finditer(s))
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            joined = re.fullmatch(
                r"\W*(?:\s(?:and|or|to|and between)\s)?\W*", s[a.end() : b.start()]
            )
            if a.group() != b.group() and not joined:
                return (
                    s[: a.start()] + b.group() + s[a.end() : b.start()] + a.group() + s[b.end() :]
                )
    return None


def _antonym(s: str, ctx: Context, inside: bool) -> str | None:
    for m in re.finditer(r"[a-z]+", s):
        for other in ctx.antonyms.get(m.group(), []):
            known = lemma_stem(other) in OPPOSITES.get(lemma_stem(m.group()), ())
            if known == inside:
                return s[: m.start()] + other + s[m.end() :]
    return None


def antonym(s: str, ctx: Context) -> str | None:
    return _antonym(s, ctx, inside=True)


def antonym_outside_lexicon(s: str, ctx: Context) -> str | None:
    return _antonym(s, ctx, inside=False)


def actor_swap(s: str, ctx: Context) -> str | None:
    here = {m.group() for m in _NAMES_ALL.finditer(s)}
    for m in _names(s):
        multi = " " in m.group()
        pool = [
            n
            for n in ctx.article_names
            if n not in here and (" " in n) == multi and not any(n in h or h in n for h in here)
        ]
        if pool:
            return s[: m.start()] + ctx.rng.choice(pool) + s[m.end() :]
    return None


_NAMES_ALL = re.compile(_NAME.pattern)


def addition(s: str, ctx: Context) -> str | None:
    """A whole clause of another article (a fact without names or figures) appended."""
    for other in ctx.elsewhere:
        words = other.rstrip(".").split()
        if not 6 <= len(words) <= 20 or words[0].lower() not in STOPWORDS:
            continue
        if any(w[0].isupper() or any(c.isdigit() for c in w) for w in words[1:]):
            continue
        if re.search(r"[\"“”:;()]", other):
            continue
        clause = " ".join(words)
        return f"{s.rstrip('.')}, and {clause[0].lower() + clause[1:]}."
    return None


# --- faithful ------------------------------------------------------------------------------
_JOINERS = frozenset(
    "and but or however yet so meanwhile also still instead then nevertheless".split()
)
_SYNONYMS = {
    "said": "stated",
    "about": "around",
    "more than": "over",
    "also": "as well",
    "because": "since",
    "however": "but",
    "announced": "said",
    "people": "persons",
    "help": "assist",
    "big": "large",
    "start": "begin",
    "buy": "purchase",
    "show": "indicate",
    "need": "require",
    "try": "attempt",
}


def unchanged(s: str, _ctx: Context) -> str | None:
    return s


def _attribution(s: str) -> str | None:
    m = re.match(r"^(.{20,}),\s+((?:[A-Z][\w'-]*\s?){1,4})\s+(said|says|added)\.$", s)
    if m:
        body = m.group(1).strip('"“” ')
        return f"{m.group(2).strip()} {m.group(3)} {body[0].lower() + body[1:]}."
    m = re.match(r"^((?:[A-Z][\w'-]*\s?){1,4})\s+(said|says)\s+(?:that\s+)?(.{20,})\.$", s)
    if m:
        return f"{m.group(3)}, {m.group(1).strip()} {m.group(2)}."
    return None


def _cut_clause(s: str) -> str | None:
    m = re.search(r",\s+(?:which|while|but|as|after|although|though|with)\b", s)
    if m and len(s[: m.start()].split()) >= 6 and s[: m.start()].split()[-1] not in _JOINERS:
        return s[: m.start()] + "."
    return None


def _front(s: str) -> str | None:
    m = re.match(r"^((?:In|On|At|During|After|Before|Last|This|Earlier)\b[^,]{3,40}),\s+(.+)\.$", s)
    if m and m.group(2)[0].isupper():
        rest = m.group(2)
        first = rest.split()[0]
        if first.isupper() or any(c.isupper() for c in first[1:]) or first in ("I",):
            return None
        return f"{rest} {m.group(1)[0].lower() + m.group(1)[1:]}."
    return None


def _active(s: str) -> str | None:
    m = re.match(
        r"^(The [a-z][\w\s-]{2,40}?) (?:was|were) (\w+ed) by "
        r"((?:the )?[A-Za-z][\w\s'-]{2,30}?)([,.].*)$",
        s,
    )
    if m:
        agent = m.group(3)
        agent = agent[0].upper() + agent[1:]
        return f"{agent} {m.group(2)} {m.group(1)[0].lower() + m.group(1)[1:]}{m.group(4)}"
    return None


def _drop_title(s: str) -> str | None:
    m = re.search(
        r"\b(?:Mr|Mrs|Ms|Dr|Prime Minister|President|Chancellor) (?=[A-Z][a-z]+ [A-Z])", s
    )
    if m and m.start() > 0:
        return s[: m.start()] + s[m.end() :]
    return None


def _synonym(s: str) -> str | None:
    for word, other in _SYNONYMS.items():
        m = re.search(rf"\b{word}\b", s)
        if m:
            return s[: m.start()] + other + s[m.end() :]
    return None


def paraphrase(s: str, ctx: Context) -> str | None:
    options = [f(s) for f in (_attribution, _cut_clause, _front, _active, _drop_title, _synonym)]
    nxt = ctx.next_sentence
    if nxt and 6 <= len(nxt.split()) <= 30 and not nxt.startswith(('"', "“", "'")):
        first = nxt.split()[0].strip(",").lower()
        if first not in _JOINERS:
            joined = nxt[0].lower() + nxt[1:] if first in STOPWORDS and first != "i" else nxt
            options.append(f"{s.rstrip('.')}, and {joined}")
    found = [o for o in options if o and o != s]
    return ctx.rng.choice(found) if found else None


@dataclass
class Context:
    rng: random.Random
    article_names: list[str]
    elsewhere: list[str]
    antonyms: dict[str, list[str]]
    next_sentence: str | None


KINDS: dict[str, Callable[[str, Context], str | None]] = {
    "negation": negation,
    "role_swap": role_swap,
    "number_swap": number_swap,
    "antonym": antonym,
    "actor_swap": actor_swap,
    "addition": addition,
    "unchanged": unchanged,
    "paraphrase": paraphrase,
    "antonym_outside_lexicon": antonym_outside_lexicon,
}


def _antonym_table() -> dict[str, list[str]]:
    table: dict[str, list[str]] = defaultdict(list)
    for pair in _ANTONYM_SURFACE.replace("\n", " | ").split("|"):
        a, b = pair.split()
        table[a].append(b)
        table[b].append(a)
    return table


def build_cases(split: str, per_kind: int, seed: int = 12) -> list[Case]:
    rng = random.Random(seed)
    docs = list(articles(split))
    rng.shuffle(docs)
    all_sentences = [s for _, _, ss in docs for s in ss]
    antonyms = _antonym_table()
    counts: Counter[str] = Counter()
    cases: list[Case] = []
    for n, (_id, title, sentences) in enumerate(docs):
        names = sorted({m.group() for s in sentences for m in _names(s)})
        order = list(range(len(sentences)))
        rng.shuffle(order)
        for i in order:
            s = sentences[i]
            if not 8 <= len(s.split()) <= 45 or s.startswith(('"', "“")):
                continue
            window = sentences[max(0, i - 2) : i + 3]
            passage = _passage(title, " ".join(window), n)
            ctx = Context(
                rng=rng,
                article_names=names,
                elsewhere=[rng.choice(all_sentences) for _ in range(40)],
                antonyms=antonyms,
                next_sentence=sentences[i + 1] if i + 1 < len(sentences) else None,
            )
            kinds = [k for k in KINDS if counts[k] < per_kind]
            if not kinds:
                return cases
            kind = min(kinds, key=lambda k: (counts[k], rng.random()))
            for k in sorted(kinds, key=lambda k: (k != kind, counts[k])):
                text = KINDS[k](s, ctx)
                if (text and text != s) or (text and k == "unchanged"):
                    cases.append(Case(k, text, passage, s))
                    counts[k] += 1
                    break
    return cases


def run(
    cases: list[Case], skip: frozenset[str] = frozenset()
) -> tuple[dict[str, list[int]], Counter[tuple[str, str]], float]:
    """Per kind: [cases, dropped]; per (kind, reason): drops; seconds per check."""
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    reasons: Counter[tuple[str, str]] = Counter()
    started = time.perf_counter()
    for case in cases:
        problem = check_claim(case.text, Evidence([case.passage]), skip=skip)
        stats[case.kind][0] += 1
        if problem is not None:
            stats[case.kind][1] += 1
            reasons[(case.kind, problem.code)] += 1
    return stats, reasons, (time.perf_counter() - started) / max(1, len(cases))


def report(split: str, stats: dict[str, list[int]], reasons: Counter[tuple[str, str]]) -> str:
    lines = [
        f"| kind ({split}) | should be | sentences | dropped | main reasons |",
        "|---|---|---|---|---|",
    ]
    for kind in [*TWISTED, *FAITHFUL, *DIAGNOSTIC]:
        n, dropped = stats.get(kind, [0, 0])
        should = "dropped" if kind not in FAITHFUL else "kept"
        top = ", ".join(f"{r} {c}" for (k, r), c in reasons.most_common() if k == kind)
        rate = f"{dropped}/{n} ({dropped / n:.1%})" if n else "–"
        lines.append(f"| {kind} | {should} | {n} | {rate} | {top[:80]} |")
    caught = sum(stats[k][1] for k in TWISTED if k in stats)
    total = sum(stats[k][0] for k in TWISTED if k in stats)
    lost = sum(stats[k][1] for k in FAITHFUL if k in stats)
    faithful = sum(stats[k][0] for k in FAITHFUL if k in stats)
    lines.append("")
    lines.append(
        f"Twisted caught: {caught}/{total} ({caught / max(1, total):.1%}); faithful wrongly "
        f"dropped: {lost}/{faithful} ({lost / max(1, faithful):.1%})."
    )
    return "\n".join(lines)


def examples(cases: list[Case], kind: str, dropped: bool, k: int = 5) -> list[str]:
    out = []
    for case in cases:
        if case.kind != kind:
            continue
        problem = check_claim(case.text, Evidence([case.passage]))
        if (problem is not None) == dropped:
            out.append(f"{problem}\n    {case.original}\n -> {case.text}")
            if len(out) >= k:
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-kind", type=int, default=400)
    parser.add_argument("--split", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--show", help="print misjudged examples of this kind")
    parser.add_argument("--ablate", action="store_true", help="switch each check off in turn")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    tables = []
    for split in splits:
        cases = build_cases(split, args.per_kind)
        stats, reasons, per_check = run(cases)
        table = report(split, stats, reasons)
        tables.append(table + f" Mean cost: {per_check * 1000:.2f} ms per sentence checked.")
        print(tables[-1])
        if args.show:
            wrong = args.show not in FAITHFUL
            for ex in examples(cases, args.show, dropped=not wrong, k=12):
                print(ex)
    if args.ablate:
        tables.append(ablation(build_cases(splits[-1], args.per_kind), splits[-1]))
        print(tables[-1])
    if args.write_docs:
        write_docs(tables)


def ablation(cases: list[Case], split: str) -> str:
    """Each claim check switched off alone: what it catches that nothing else does."""
    base, _, _ = run(cases)
    lines = [
        f"Ablation ({split}): twisted caught / faithful dropped with one check switched off.",
        "",
        "| check off | twisted caught | faithful dropped | kinds that lose most |",
        "|---|---|---|---|",
    ]
    for check in ("none", *CLAIM_CHECKS, "role_swap+actor_swap"):
        off = frozenset() if check == "none" else frozenset(check.split("+"))
        stats, _, _ = run(cases, off)
        caught = sum(stats[k][1] for k in TWISTED)
        total = sum(stats[k][0] for k in TWISTED)
        lost = sum(stats[k][1] for k in FAITHFUL)
        faithful = sum(stats[k][0] for k in FAITHFUL)
        drops = sorted(((base[k][1] - stats[k][1]) / max(1, stats[k][0]), k) for k in TWISTED)
        worst = ", ".join(f"{k} −{d:.0%}" for d, k in reversed(drops) if d > 0.005)[:70]
        lines.append(
            f"| {check} | {caught / max(1, total):.1%} | {lost / max(1, faithful):.1%} | "
            f"{worst or '–'} |"
        )
    return "\n".join(lines)


ABOUT = """Sentences of 8-45 words from the BBC corpus, each checked against its passage (the
sentence with two neighbours on each side) by `bot.answer.verify.check_claim`, the function
answers use. Articles are split by a hash of their id: the checks were developed on `dev`;
`test` is the report. Each twisted sentence is a real sentence changed by one general
transformation (see the module docstring); faithful ones are unchanged or mechanically
paraphrased (attribution moved, trailing clause cut, introductory phrase moved, passive made
active, a title dropped, one common word replaced by a synonym, two adjacent sentences merged).
Floors (issue 12): >= 90% of twisted sentences caught overall and >= 80% per kind; <= 5% of
faithful sentences dropped.
"""
LIMITS = """Limits: the antonym kind uses opposite pairs the verifier's lexicon knows (found through
inflection, negation and alignment). `antonym_outside_lexicon` uses pairs the lexicon lacks
(cheap/expensive, safe/dangerous, easy/difficult…): only those with a negative prefix
(likely/unlikely, legal/illegal, by a general rule) or an otherwise unsupported new word are
caught — a lexicon cannot know every opposite. The paraphrases are mechanical, so the faithful
rate is an optimistic bound for a fluent model that rewords more freely; on `dev` the faithful
drops were mostly short sentences where one synonym left too little of the source. `role_swap`
and `actor_swap` overlap: with either check off the other catches most swaps (the
`role_swap+actor_swap` row).
"""


def write_docs(tables: list[str]) -> None:
    text = (
        f"""{SECTION}

`python benchmarks/perturbations.py --write-docs` — {datetime.now(UTC).date().isoformat()},
{machine()}.

{ABOUT}
"""
        + "\n\n".join(tables)
        + "\n\n"
        + LIMITS
    )
    write_section(SECTION, text)


if __name__ == "__main__":
    main()
