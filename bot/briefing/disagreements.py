"""Where the sources of one story disagree: different figures for the same count, or
opposite claims about who caused an event.

Precision comes first: a reader told "sources differ" must find a real difference when
they open the two articles. So a claim is only extracted from narrow, explicit patterns:

- a figure: a number (with its hedge: "at least", "nearly", "up to") directly tied to a
  counted thing ("500 people were killed", "killing 30", "death toll of 2,750", "52% of
  the vote", "$100 million in aid"). Two figures conflict when they count the same thing
  (same kind, same group: "Palestinians killed" is not "Israelis killed"), have the same
  scope (a running war total is not one attack's toll), come from different outlets
  within a few hours (a toll that grows over a day is an update, not a dispute), share
  the sentence's context, and their ranges do not overlap once the hedges are applied;
- a cause: "an <X>i/ian strike|rocket|…", "blamed (it) on X", "X blames Y", "<weapon>
  fired|launched by X", against either a different agent for the same event or the
  agent's own denial ("X denied …").

Everything here is plain text in, quotes out: the caller numbers the citations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.text.sentences import sentence_spans
from bot.text.words import STOPWORDS, content_stems, fold

MAX_HOURS_APART = 6.0
MIN_SHARED_CONTEXT = 0.12
_NAME = re.compile(r"(?<=\s)[A-Z][a-z][\w'-]*")
EXACT_TOLERANCE = 0.02
APPROX_TOLERANCE = 0.15
MAX_CONFLICTS = 2

_NUMBER = (
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s*(?:to|-|–)\s*(?P<num2>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?))?"
    r"(?:\s*(?P<scale>million|billion|thousand|bn)\b)?"
)
_HEDGE = (
    r"(?P<hedge>at least|more than|over|nearly|almost|about|around|roughly|some|up to"
    r"|fewer than|less than|approximately|an estimated|as many as|close to)"
)
_WHO = r"(?P<who>(?:[A-Za-z][\w'-]*\s+){0,2}?)"
_AUX = r"(?:(?:were|was|have been|had been|are|is|been|being|reportedly|now|so far)\s+)*"
_KILLED = r"killed|dead|deaths|died|die|fatalities|slain|lives lost|bodies"
_INJURED = r"injured|wounded|hurt|injuries"
_OTHER = r"missing|displaced"
_KIND = rf"(?P<kind>{_KILLED}|{_INJURED}|{_OTHER})"

_FIGURE_AFTER = re.compile(rf"(?:{_HEDGE}\s+)?{_NUMBER}\+?\s+{_WHO}{_AUX}{_KIND}\b", re.IGNORECASE)
_FIGURE_VERB = re.compile(
    rf"\b(?P<kind>killing|killed|wounding|injuring|left)\s+(?:{_HEDGE}\s+)?{_NUMBER}\+?"
    rf"(?P<who>(?:\s+[A-Za-z][\w'-]*){{0,2}})",
    re.IGNORECASE,
)
_TOLL = re.compile(
    rf"\bdeath toll\b[^.;:]{{0,40}}?\b(?:of|to|at|reached|hit|is|was|stands at|rose to"
    rf"|climbed to|risen to)\s+(?:{_HEDGE}\s+)?{_NUMBER}\b",
    re.IGNORECASE,
)
_SHARE = re.compile(
    rf"(?:{_HEDGE}\s+)?(?P<num>\d+(?:\.\d+)?)(?P<num2>)\s*(?:%|percent|per cent)\s+of\s+the\s+"
    r"(?P<kind>vote|votes|ballots)",
    re.IGNORECASE,
)
_MONEY = re.compile(
    rf"(?:{_HEDGE}\s+)?(?P<cur>[$£€])\s?{_NUMBER}\s+(?P<kind>(?:in|of|for)\s+[A-Za-z]+)",
    re.IGNORECASE,
)
_KIND_GROUPS = {
    "killed": [*_KILLED.split("|"), "killing", "death toll"],
    "injured": [*_INJURED.split("|"), "wounding", "injuring"],
}
_SCALE = {"thousand": 1e3, "million": 1e6, "bn": 1e9, "billion": 1e9}
# Words that make a count a running total rather than one event's toll.
_CUMULATIVE = re.compile(
    r"\b(?:since|so far|in total|total|overall|to date|cumulative|throughout|this year"
    r"|war|conflict|campaign|offensive)\b",
    re.IGNORECASE,
)
_UPDATE = re.compile(
    r"\b(?:rose|rises|risen|climbed|climbs|jumped|increased|revised|mounts|mounted)\b", re.I
)
# Forecasts, polls and plans are not reports of what happened: their figures differ by nature.
_PROJECTION = re.compile(
    r"\b(?:expects?|expected|predicted|projected|projection|forecasts?|polls?|polling|survey|will|would"
    r"|could|may|might|plans?|planned|proposed|aims?|seeks?)\b",
    re.IGNORECASE,
)
_GENERIC_WHO = frozenset(
    "people persons person civilians individuals residents other others".split()
)

_WEAPON = (
    r"(?:air\s?strikes?|air\s?raids?|strikes?|rockets?|missiles?|attacks?|bombings?"
    r"|bombardment|shelling|shells?|drones?|bombs?|raids?|fire)"
)
_AGENT = r"(?P<agent>[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)"
_CAUSE_PATTERNS = [
    re.compile(
        rf"\b(?:an?|the|by)\s+(?P<quote>(?P<agent>[A-Z][a-z]+(?:i|ian|ean|an|ese|ish))\s+"
        rf"{_WEAPON}(?:\s+{_WEAPON})?)\b"
    ),
    re.compile(rf"\bblam(?:ed|es|ing)\s+(?:it\s+|the\s+\w+\s+)?on\s+(?:an?\s+|the\s+)?{_AGENT}"),
    re.compile(rf"\b(?:fired|launched|carried out)\s+by\s+(?:the\s+)?{_AGENT}"),
    re.compile(rf"\b{_AGENT}\s+(?:is|was)\s+(?:responsible|to blame)\b"),
    re.compile(rf"\bblam(?:ed|es|ing)\s+(?:an?\s+|the\s+)?{_AGENT}"),
]
_DENIAL = re.compile(
    rf"\b{_AGENT}\s+(?:has\s+|had\s+|have\s+)?(?:denied|denies|deny|denying)\s+"
    r"(?:any\s+|all\s+)?(?:responsibility|involvement|role|striking|attacking|bombing|hitting"
    r"|targeting|shelling|carrying out|firing|launching|it\b|that\b|the (?:claims?|reports?"
    r"|accusations?|allegations?))"
)
_NOT_AGENTS = frozenset(
    "the a an it this that he she they its his her their officials health ministry".split()
)


@dataclass(frozen=True)
class Report:
    """One article of a story, as far as claims are concerned."""

    article_id: int
    outlet: str
    when: datetime
    title: str
    text: str


@dataclass(frozen=True)
class Side:
    """A quoted claim and the article it comes from."""

    quote: str
    article_id: int
    sentence: str = ""


@dataclass
class Conflict:
    """Two (or more) reports that cannot all be right: `subject` says about what."""

    subject: str
    sides: list[Side] = field(default_factory=list)


@dataclass(frozen=True)
class _Claim:
    report: Report
    sentence: str
    quote: str
    key: tuple[str, ...]
    low: float = 0.0
    high: float = 0.0
    updates: bool = False


def _value(num: str, scale: str | None) -> float:
    return float(num.replace(",", "")) * _SCALE.get(fold(scale or ""), 1.0)


def _bounds(value: float, hedge: str | None) -> tuple[float, float]:
    """The range a hedged figure allows ("at least 500" is [500, ∞))."""
    h = fold(hedge or "")
    if h in ("at least", "more than", "over"):
        return value, float("inf")
    if h in ("up to", "fewer than", "less than", "as many as"):
        return 0.0, value
    if h in ("nearly", "almost", "close to"):
        return value * (1 - APPROX_TOLERANCE), value
    tol = APPROX_TOLERANCE if h else EXACT_TOLERANCE
    return value * (1 - tol), value * (1 + tol)


def _kind(word: str) -> str:
    w = fold(word)
    for kind, forms in _KIND_GROUPS.items():
        if w in forms:
            return kind
    return w.rstrip("s")


def _who(text: str, *, following: bool = False) -> str:
    """The counted group ("Palestinians", "Israeli soldiers"); generic people are ''.

    After a verb ("killing 30 Palestinians since…") only the next word can name the group,
    and only when it looks like one (a plural or a name).
    """
    found = [w for w in re.findall(r"[A-Za-z][\w'-]*", text)]
    if following:
        found = [w for w in found[:1] if w[0].isupper() or w.endswith("s")]
    found = [fold(w) for w in found]
    found = [w for w in found if w not in STOPWORDS and w not in _GENERIC_WHO]
    return " ".join(found).rstrip("s")


def _figures(report: Report, sentence: str) -> Iterable[_Claim]:
    if _PROJECTION.search(sentence):
        return
    scope = "total" if _CUMULATIVE.search(sentence) else "event"
    updates = bool(_UPDATE.search(sentence))
    seen: set[tuple[int, int]] = set()
    for pattern in (_FIGURE_AFTER, _FIGURE_VERB, _TOLL, _SHARE, _MONEY):
        for m in pattern.finditer(sentence):
            if any(s <= m.start("num") < e for s, e in seen):
                continue
            seen.add(m.span())
            groups = m.groupdict()
            number = groups["num"]
            if sentence[max(m.start() - 7, 0) : m.start()].lower().strip() in ("of the", "out of"):
                continue  # "35 of the 150 seats": a whole, not a count of the event
            if pattern is _TOLL:
                kind, who = "killed", ""
            elif pattern is _MONEY:
                kind, who = "money:" + " ".join(groups["kind"].split()), groups["cur"]
            elif pattern is _SHARE:
                kind, who = "share of the vote", ""
            else:
                kind = _kind(groups["kind"])
                if kind == "left":
                    continue
                who = _who(groups.get("who") or "", following=pattern is _FIGURE_VERB)
            if pattern is not _SHARE and number.isdigit() and 1900 <= int(number) <= 2100:
                continue  # a year, not a count
            if re.search(r"\b(?:age|aged|under|over)\s*$", sentence[: m.start("num")], re.I) and (
                pattern is not _FIGURE_VERB and not groups.get("hedge")
            ):
                continue  # "children under age 5 have died": an age, not a count
            scale = groups.get("scale")
            low, high = _bounds(_value(number, scale), groups.get("hedge"))
            if groups.get("num2"):
                low, high = low, max(high, _value(groups["num2"], scale))
            span = "total" if pattern is _TOLL else scope  # a death toll is a running total
            yield _Claim(
                report,
                sentence,
                m.group().strip(),
                ("figure", kind, who, span),
                low,
                high,
                updates,
            )


def _agent_key(agent: str) -> str:
    """ "Israeli"/"Israel" and "Palestinian"/"Palestinians" are one agent."""
    return fold(agent.split()[0])[:5]


def _causes(report: Report, sentence: str) -> Iterable[_Claim]:
    for pattern in _CAUSE_PATTERNS:
        for m in pattern.finditer(sentence):
            agent = m.group("agent")
            if fold(agent.split()[0]) in _NOT_AGENTS:
                continue
            quote = m.group("quote") if "quote" in m.groupdict() else m.group()
            yield _Claim(report, sentence, quote.strip(), ("cause", _agent_key(agent)))
    for m in _DENIAL.finditer(sentence):
        agent = m.group("agent")
        if fold(agent.split()[0]) not in _NOT_AGENTS:
            yield _Claim(report, sentence, m.group().strip(), ("denial", _agent_key(agent)))


def _sentences(report: Report) -> list[str]:
    found = [" ".join(report.title.split())]
    found += [report.text[s:e] for s, e in sentence_spans(report.text)]
    return [s for s in dict.fromkeys(found) if s]


def _context(claim: _Claim) -> set[str]:
    """Content stems of the claim's sentence outside the claim itself."""
    rest = claim.sentence.replace(claim.quote, " ")
    return {s for s in content_stems(rest) if not s.isdigit()}


def _shared(a: _Claim, b: _Claim) -> float:
    x, y = _context(a), _context(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def _names(claim: _Claim) -> set[str]:
    """Capitalised words after the first one (places, people), outside the claim itself."""
    rest = claim.sentence.replace(claim.quote, " ")
    return {fold(w) for w in _NAME.findall(rest) if fold(w) not in STOPWORDS}


def _same_event(a: _Claim, b: _Claim) -> bool:
    """Shared context, or at least no sign of two different events (disjoint place names)."""
    if _shared(a, b) >= MIN_SHARED_CONTEXT:
        return True
    x, y = _names(a), _names(b)
    return not (x and y) or bool(x & y)


def _close(a: _Claim, b: _Claim) -> bool:
    return abs(a.report.when - b.report.when) <= timedelta(hours=MAX_HOURS_APART)


def _figures_conflict(a: _Claim, b: _Claim) -> bool:
    if a.key != b.key or a.report.outlet == b.report.outlet or not _close(a, b):
        return False
    if a.high < b.low or b.high < a.low:
        later = a if a.report.when >= b.report.when else b
        return not later.updates and _same_event(a, b)
    return False


def _causes_conflict(a: _Claim, b: _Claim) -> bool:
    """Different agents blamed, or an agent blamed and the same agent denying."""
    if a.report.outlet == b.report.outlet or not _close(a, b):
        return False
    kinds = {a.key[0], b.key[0]}
    if kinds == {"cause"} and a.key[1] != b.key[1]:
        return _shared(a, b) >= MIN_SHARED_CONTEXT
    if kinds == {"cause", "denial"} and a.key[1] == b.key[1]:
        return _shared(a, b) >= MIN_SHARED_CONTEXT
    return False


def _subject(claim: _Claim) -> str:
    if claim.key[0] != "figure":
        return "who is responsible"
    _, kind, who, _scope = claim.key
    if kind.startswith("money:"):
        return f"the amount {kind.split(':', 1)[1]}"
    if kind == "share of the vote":
        return "the share of the vote"
    noun = kind
    group = f"{who}s " if who and not who.endswith("s") else (f"{who} " if who else "")
    return f"the number of {group}{noun}" if group else f"the number {noun}"


def find_conflicts(reports: Sequence[Report], limit: int = MAX_CONFLICTS) -> list[Conflict]:
    """At most `limit` conflicts, the most widely reported first; each side its earliest report."""
    claims: list[_Claim] = []
    for report in sorted(reports, key=lambda r: (r.when, r.article_id)):
        for sentence in _sentences(report):
            claims.extend(_figures(report, sentence))
            claims.extend(_causes(report, sentence))
    found: dict[tuple[str, ...], Conflict] = {}
    for i, a in enumerate(claims):
        for b in claims[i + 1 :]:
            if a.key[0] == "figure":
                clash = b.key[0] == "figure" and _figures_conflict(a, b)
            else:
                clash = b.key[0] != "figure" and _causes_conflict(a, b)
            if not clash:
                continue
            topic = (a.key[0] if a.key[0] == "figure" else "cause", *a.key[1:3])
            conflict = found.setdefault(topic, Conflict(_subject(a)))
            for claim in (a, b):
                if claim.report.article_id not in {s.article_id for s in conflict.sides}:
                    conflict.sides.append(
                        Side(claim.quote, claim.report.article_id, claim.sentence)
                    )
    ranked = sorted(found.values(), key=lambda c: -len(c.sides))
    return [_trimmed(c) for c in ranked[:limit]]


def _trimmed(conflict: Conflict, shown: int = 3) -> Conflict:
    """One quote per distinct wording, at most `shown` sides (the earliest ones)."""
    sides: list[Side] = []
    quotes: set[str] = set()
    for side in conflict.sides:
        key = fold(side.quote)
        if key not in quotes:
            quotes.add(key)
            sides.append(side)
    return Conflict(conflict.subject, sides[:shown])


def conflict_line(conflict: Conflict, numbers: Sequence[int]) -> str:
    """ "Sources differ on the number killed: “at least 500” [2] vs. “471” [5]."."""
    parts = [f"“{side.quote}” [{n}]" for side, n in zip(conflict.sides, numbers, strict=True)]
    return f"Sources differ on {conflict.subject}: " + " vs. ".join(parts) + "."
