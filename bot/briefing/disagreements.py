"""Where the sources of one story disagree: different figures for the same count, or
opposite claims about who caused an event.

A wrong "sources differ" line misleads a reader about the news, so every rule here errs
toward saying nothing. Two claims are flagged only when all of these hold:

- they come from different outlets, a few hours apart at most, and are about the same
  event: the two sentences share much of their wording outside the claims (count words
  aside), neither names a place or a time the other contradicts ("in Kenya" is not "in
  Kenya and Somalia", "on Monday" is not "since October 7"), and the two reports name a
  common place when both name places (two Halloween shootings, in Tampa and Indianapolis);
- figures count the same thing with the same scope: the same kind (killed, injured,
  displaced; an amount or a share of the vote of the same named party), the same counted
  group ("Palestinians killed" is not "Israelis killed"), both one event's toll or both a
  running total, neither a part ("another 50", "including 12 children"), a sum ("dead
  and missing") or a forecast; and the ranges their qualifiers allow do not overlap
  ("at least 500" and "more than 600" can both be true, "at least 500" and "200 to 300"
  cannot);
- a toll only grows as bodies are found, so a later report with a higher toll is an
  update, never a dispute: only a later report giving less than an earlier one allowed
  is flagged;
- a cause counts only as someone's attributed claim ("X said …", "X blames Y"), and two
  causes conflict only when the party one speaker blames names someone else, or denies it.

A figure the parser is unsure of ("Almost 2.000", "1 in 6", a year, an age, "1-year-old",
a count in a clause about an earlier event: "…, a day after strikes killed 39") is no claim.
Everything here is plain text in, quotes out: the caller numbers the citations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from bot.text.sentences import sentence_spans
from bot.text.words import STOPWORDS, content_stems, fold

MAX_HOURS_APART = 6.0
# Share of the shorter sentence's context words (outside the claims) the other one repeats.
MIN_CONTEXT_OVERLAP = 0.3
MIN_SHARED_WORDS = 2
EXACT_TOLERANCE = 0.02
APPROX_TOLERANCE = 0.15
MAX_CONFLICTS = 2

_NUM = r"\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:\.\d+)?"
_NUMBER = (
    rf"(?:(?P<between>between)\s+)?(?P<num>{_NUM})(?P<plus>\+)?"
    rf"(?:\s*(?:to|-|–|—|(?(between)and|(?!)))\s*(?P<num2>{_NUM}))?"
    r"(?:\s*(?P<scale>million|billion|thousand|bn)\b)?"
)
_HEDGE = (
    r"(?P<hedge>at least|more than|over|nearly|almost|about|around|roughly|some|up to"
    r"|fewer than|less than|approximately|an estimated|as many as|close to)"
)
# The counted group between a number and its noun ("30 Palestinian civilians killed"):
# never a conjunction, preposition or verb ("16 people and injured dozens" counts no injured).
_GROUP_WORD = (
    r"(?!(?:and|or|but|nor|in|at|on|of|as|by|for|from|to|while|with|who|which|that|had|has"
    r"|have|were|was|are|is|been|being|the|a|an)\b)[A-Za-z][\w'-]*\s+"
)
_WHO = rf"(?P<who>(?:{_GROUP_WORD}){{0,2}}?)"
_AUX = r"(?:(?:were|was|have|has|had|are|is|been|being|reportedly|now|so far)\s+)*"
_KILLED = r"killed|dead|deaths|died|die|fatalities|slain|lives lost"
_INJURED = r"injured|wounded|hurt|injuries"
_DISPLACED = r"displaced"
_KIND = rf"(?P<kind>{_KILLED}|{_INJURED}|{_DISPLACED})"
_ANY_KIND = rf"(?:{_KILLED}|{_INJURED}|{_DISPLACED}|missing|casualties|killing|wounding|injuring)"

_FIGURE_AFTER = re.compile(rf"(?:{_HEDGE}\s+)?{_NUMBER}\s+{_WHO}{_AUX}{_KIND}\b", re.IGNORECASE)
_FIGURE_VERB = re.compile(
    rf"\b(?P<kind>killing|killed|wounding|injuring)\s+(?:{_HEDGE}\s+)?{_NUMBER}"
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
    rf"(?i:{_HEDGE}\s+)?(?P<cur>[$£€])\s?{_NUMBER}\s+(?P<kind>(?i:in|to|for)\s+[A-Z][\w'-]+)"
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
    r"\b(?:rose|rises|risen|climbed|climbs|jumped|increased|revised|mounts|mounted|lowered"
    r"|corrected|updated)\b",
    re.IGNORECASE,
)
# Forecasts, polls and plans are not reports of what happened: their figures differ by nature.
_PROJECTION = re.compile(
    r"\b(?:expects?|expected|predicted|projected|projection|forecasts?|polls?|polling|survey|will|would"
    r"|could|may|might|plans?|planned|proposed|aims?|seeks?|estimates?|feared)\b",
    re.IGNORECASE,
)
# A count that is a part of another one ("another 50 were injured", "including 12 children").
_PART_BEFORE = re.compile(
    r"\b(?:another|further|additional|other|more|extra|including|includes|among them|of whom"
    r"|of them|of those|of which)\s*$",
    re.IGNORECASE,
)
# "…, seven months after clashes killed 180": what follows is another, earlier event.
_EARLIER_EVENT = re.compile(
    r"\b(?:(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|few|\d+)\s+"
    r"(?:hours?|days?|weeks?|months?|years?)|the\s+(?:day|week|month|year))\s+"
    r"(?:after|before|since)\b",
    re.IGNORECASE,
)
_RATIO_AFTER = re.compile(r"^\s*(?:in|out of|of every|of)\s+(?:\d|every\b|ten\b|a hundred\b)", re.I)
_PERCENT_AFTER = re.compile(r"^\s*(?:%|percent\b|per cent\b)", re.IGNORECASE)
_SUM_AFTER = re.compile(rf"^\s*(?:and|or|and/or|&)\s+(?:\w+\s+)?{_ANY_KIND}\b", re.IGNORECASE)
_SUM_BEFORE = re.compile(rf"\b{_ANY_KIND}\s+(?:and|or|and/or|&)\s+$", re.IGNORECASE)
_COUNT_STEMS = frozenset(
    content_stems(
        " ".join(re.findall(r"[a-z]+", _ANY_KIND + _HEDGE))
        + " people persons person civilians others toll death leave left leaves"
    )
)
_GENERIC_WHO = frozenset(
    "people persons person civilians individuals residents other others".split()
)

_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_MONTHS = (
    "january february march april may june july august september october november december"
    " jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
_TIME_REF = re.compile(
    r"\b(?:(?P<day>"
    + "|".join(_WEEKDAYS)
    + r")|(?P<rel>today|yesterday|tonight|overnight|last night|this (?:morning|week|weekend|month"
    r"|year)|last (?:week|weekend|month|year)|(?:in|over) (?:a|one|the past|the last|24) "
    r"(?:day|hours|days|week|weeks|month|months)|in \d{4}|since (?:\w+ \d{1,2}|\w+))"
    r")\b",
    re.IGNORECASE,
)
_DIRECTION = (
    r"northern|southern|eastern|western|central|north|south|east|west|northeast|northwest"
    r"|southeast|southwest"
)
_UNIT = r"(?:state|city|province|region|town|village|county|district|island|capital)"
_NAMES = r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*"
_PLACE = re.compile(
    r"\b(?:in|at|on|near|outside|inside|across|throughout|off)\s+(?:the\s+)?"
    rf"(?:(?i:{_DIRECTION})\s+)?(?P<names>{_NAMES}(?:\s+and\s+{_NAMES})*)"
)
# Every place a report names, for "do the two reports share a place" (a city in one and
# its state in the other often do: "in Vizianagaram district, Andhra Pradesh state, India").
_ANY_PLACE = re.compile(
    rf"\b(?:in|at|on|near|outside|inside|across|throughout|off|{_UNIT} of)\s+(?:the\s+)?"
    rf"(?:(?i:{_DIRECTION})\s+)?(?P<names>{_NAMES}(?:(?:\s+{_UNIT})?(?:,\s*|\s+and\s+)(?:the\s+)?"
    rf"{_NAMES})*)"
)

_WEAPON = (
    r"(?:air\s?strikes?|air\s?raids?|strikes?|rockets?|missiles?|attacks?|bombings?"
    r"|bombardment|shelling|shells?|drones?|bombs?|raids?|fire)"
)
_AGENT = r"(?P<agent>[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)"
_CAUSE_PATTERNS = [
    re.compile(
        rf"\b(?i:an?|the|by|in)\s+(?P<quote>(?P<agent>[A-Z][a-z]+(?:i|ian|ean|an|ese|ish))\s+"
        rf"(?i:{_WEAPON}(?:\s+{_WEAPON})?))\b"
    ),
    re.compile(rf"\bblam(?:ed|es|ing)\s+(?:it\s+|the\s+\w+\s+)?on\s+(?:an?\s+|the\s+)?{_AGENT}"),
    re.compile(rf"\b(?:fired|launched|carried out)\s+by\s+(?:the\s+)?{_AGENT}"),
    re.compile(rf"\b{_AGENT}\s+(?:is|was)\s+(?:responsible|to blame)\b"),
    re.compile(rf"\bblam(?:ed|es|ing|e)\s+(?:an?\s+|the\s+)?{_AGENT}"),
]
_DENIAL = re.compile(
    rf"\b{_AGENT}\s+(?:has\s+|had\s+|have\s+)?(?:denied|denies|deny|denying)\s+"
    r"(?:any\s+|all\s+)?(?:responsibility|involvement|role|striking|attacking|bombing|hitting"
    r"|targeting|shelling|carrying out|firing|launching|it\b|that\b|the (?:claims?|reports?"
    r"|accusations?|allegations?))"
)
# Verbs that attribute a claim to its speaker, who stands just before them ("Israel said",
# "Palestinian officials claim") or after them ("according to the health ministry").
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|saying|told|claimed|claims|claim|claiming|blamed|blames|blame|blaming"
    r"|accused|accuses|accuse|accusing|alleged|alleges|insisted|insists|maintained|maintains"
    r"|(?P<after>according to))\b",
    re.IGNORECASE,
)
_NOT_AGENTS = frozenset(
    "the a an it this that he she they its his her their officials health ministry".split()
    + _WEEKDAYS
    + _MONTHS
)
# "Iran-backed militias" blames the militias, not Iran: such an agent is no party to compare.
_PROXY = re.compile(r"-(?:backed|led|run|allied|aligned|linked|affiliated|based)$", re.IGNORECASE)
_DEMONYM_ENDINGS = ("ians", "ian", "ans", "an", "ese", "ish", "is", "i", "s")


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
    speaker: str = ""


def _value(num: str, scale: str | None) -> float:
    return float(num.replace(",", "")) * _SCALE.get(fold(scale or ""), 1.0)


def _bounds(value: float, hedge: str | None, plus: bool) -> tuple[float, float]:
    """The range a hedged figure allows ("at least 500" and "500+" are [500, ∞))."""
    h = fold(hedge or "")
    if plus or h in ("at least", "more than", "over"):
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
    return w


def _who(text: str, *, following: bool = False) -> str:
    """The counted group ("Palestinians", "Israeli soldiers"); generic people are ''.

    After a verb ("killing 30 Palestinians since…") only the next word can name the group,
    and only when it looks like one (a plural or a name).
    """
    found = re.findall(r"[A-Za-z][\w'-]*", text)
    if following:
        found = [w for w in found[:1] if w[0].isupper() or w.endswith("s")]
    found = [fold(w) for w in found]
    found = [w for w in found if w not in STOPWORDS and w not in _GENERIC_WHO]
    return " ".join(found).rstrip("s")


def _unsure_number(sentence: str, m: re.Match[str]) -> bool:
    """A figure that may not be a count of the event: "2.000" (a decimal comma?), "1 in 6",
    "12%", a year, an age ("1-year-old", "aged 5"), "from 200 to 300" (a change, not a
    range), a part, or a count of an earlier event ("a day after strikes killed 39")."""
    number = m.group("num")
    before = sentence[: m.start()]
    end = m.end("num2") if m.group("num2") else m.end("num")
    after = sentence[end:]
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number) or re.match(r"[.,]\d", after):
        return True
    if _RATIO_AFTER.match(after) or _PERCENT_AFTER.match(after) or re.match(r"-[A-Za-z]", after):
        return True  # "1 in 6", "12%", "1-year-old", "18-hour"
    if number.isdigit() and 1900 <= int(number) <= 2100:
        return True
    if not m.groupdict().get("hedge") and re.search(
        r"\b(?:age|aged|ages|under|over|from)\s*$", sentence[: m.start("num")], re.IGNORECASE
    ):
        return True
    tail = before.lower().rstrip()
    if tail.endswith(("of the", "out of")):
        return True  # "35 of the 150 seats": a whole, not a count of the event
    return bool(_PART_BEFORE.search(before) or _EARLIER_EVENT.search(before))


def _is_sum(sentence: str, m: re.Match[str]) -> bool:
    """ "100 dead and missing", "killed or wounded 300": two kinds counted together."""
    kind_start, kind_end = m.span("kind")
    return bool(_SUM_AFTER.match(sentence[kind_end:]) or _SUM_BEFORE.search(sentence[:kind_start]))


def _quote(sentence: str, m: re.Match[str], who: str, pattern: re.Pattern[str]) -> str:
    """The figure as written: for "killed 200 to 300 people on Tuesday", up to "people"."""
    if pattern is not _FIGURE_VERB:
        return m.group().strip()
    end = m.end("scale") if m.group("scale") else m.end("num2") if m.group("num2") else None
    end = end or (m.end("plus") if m.group("plus") else m.end("num"))
    following = re.match(r"\s+[A-Za-z][\w'-]*", sentence[end:])
    if following and (who or following.group().strip() in _GENERIC_WHO):
        end += following.end()
    return sentence[m.start() : end].strip()


def _actor(sentence: str, start: int) -> str:
    """The named party just before a money or vote figure ("Amazon to invest $4 billion")."""
    clause = re.split(r"[,;:]", sentence[:start])[-1]
    names = [w for w in re.findall(r"[A-Z][\w'-]+", clause) if fold(w) not in STOPWORDS]
    return fold(names[-1]) if names else ""


def _figures(report: Report, sentence: str) -> Iterable[_Claim]:
    if _PROJECTION.search(sentence):
        return
    scope = "total" if _CUMULATIVE.search(sentence) else "event"
    updates = bool(_UPDATE.search(sentence))
    seen: list[tuple[int, int]] = []
    for pattern in (_FIGURE_AFTER, _FIGURE_VERB, _TOLL, _SHARE, _MONEY):
        for m in pattern.finditer(sentence):
            if any(s <= m.start("num") < e for s, e in seen):
                continue
            seen.append(m.span())
            groups = m.groupdict()
            if _unsure_number(sentence, m):
                continue
            if pattern is _TOLL:
                kind, who = "killed", ""
            elif pattern in (_MONEY, _SHARE):
                actor = _actor(sentence, m.start())
                if not actor:
                    continue  # "$5 billion in Anthropic" from whom? Not comparable.
                if pattern is _MONEY:
                    kind = "money:" + " ".join(groups["kind"].split())
                    who = f"{groups['cur']} {actor}"
                else:
                    kind, who = "share of the vote", actor
            else:
                if _is_sum(sentence, m):
                    continue
                kind = _kind(groups["kind"])
                who = _who(groups.get("who") or "", following=pattern is _FIGURE_VERB)
            scale = groups.get("scale")
            low, high = _bounds(
                _value(groups["num"], scale), groups.get("hedge"), bool(groups.get("plus"))
            )
            if groups.get("num2"):
                second = _value(groups["num2"], scale)
                if second <= low:
                    continue  # "300-200"? not a range we can read
                low, high = min(low, _value(groups["num"], scale)), max(high, second)
            span = "total" if pattern is _TOLL else scope  # a death toll is a running total
            yield _Claim(
                report,
                sentence,
                _quote(sentence, m, who, pattern),
                ("figure", kind, who, span),
                low,
                high,
                updates,
            )


def _party(name: str) -> str:
    """One key for a country, its people and its adjective: "Israel"/"Israeli" → "israel",
    "Palestinians"/"Palestinian" → "palestin", "Iranian" → "iran" (compare with `_same_party`)."""
    word = re.sub(r"[^a-z]", "", fold(name.split()[0])) if name.split() else ""
    for ending in _DEMONYM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def _same_party(a: str, b: str) -> bool:
    """ "russ" (Russian) and "russia" are one party; a key under four letters must be equal."""
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return short == long or (len(short) >= 4 and long.startswith(short))


def _speaker_before(text: str) -> str:
    """The party named in the last few words before an attribution verb, or ''."""
    clause = re.split(r"[,;:(\"“]", text)[-1]
    names = [w for w in re.findall(r"[A-Z][\w'’-]+", " ".join(clause.split()[-4:]))]
    names = [w for w in names if fold(w) not in _NOT_AGENTS and fold(w) not in STOPWORDS]
    return _party(names[0]) if names else ""


def _speaker_after(text: str) -> str:
    names = re.findall(r"[A-Z][\w'’-]+", " ".join(re.split(r"[,;:.]", text)[0].split()[:4]))
    names = [w for w in names if fold(w) not in _NOT_AGENTS and fold(w) not in STOPWORDS]
    return _party(names[0]) if names else ""


def _attribution(sentence: str, at: int, end: int) -> str | None:
    """Who the claim at `at`..`end` is attributed to: the nearest attribution before it, else
    the first after it. None when nobody is said to say it; '' when the speaker is unnamed."""
    before = [m for m in _ATTRIBUTION.finditer(sentence) if m.end() <= at]
    after = [m for m in _ATTRIBUTION.finditer(sentence) if m.start() >= end]
    found = before[-1:] + after[:1]
    if not found:
        return None
    m = found[0]
    if m.group("after"):
        return _speaker_after(sentence[m.end() :])
    return _speaker_before(sentence[: m.start()])


def _causes(report: Report, sentence: str) -> Iterable[_Claim]:
    for pattern in _CAUSE_PATTERNS:
        for m in pattern.finditer(sentence):
            agent = m.group("agent")
            if fold(agent.split()[0]) in _NOT_AGENTS or _PROXY.search(agent.split()[0]):
                continue
            speaker = _attribution(sentence, m.start("agent"), m.end())
            if speaker is None:
                continue  # an outlet's own wording, not a party's claim
            quote = m.group("quote") if "quote" in m.groupdict() else m.group()
            yield _Claim(report, sentence, quote.strip(), ("cause", _party(agent)), speaker=speaker)
    for m in _DENIAL.finditer(sentence):
        agent = m.group("agent")
        if fold(agent.split()[0]) not in _NOT_AGENTS and not _PROXY.search(agent.split()[0]):
            denier = _party(agent)
            yield _Claim(report, sentence, m.group().strip(), ("denial", denier), speaker=denier)


def _sentences(report: Report) -> list[str]:
    found = [" ".join(report.title.split())]
    found += [report.text[s:e] for s, e in sentence_spans(report.text)]
    return [s for s in dict.fromkeys(found) if s]


def _context(claim: _Claim) -> set[str]:
    """Content stems of the claim's sentence outside the claim and the words of any count
    ("two shootings leave 18 injured / 8 injured" share no context but "shooting")."""
    rest = claim.sentence.replace(claim.quote, " ")
    return {s for s in content_stems(rest) if not s.isdigit() and s not in _COUNT_STEMS}


def _same_event(a: _Claim, b: _Claim) -> bool:
    """The two sentences repeat much of each other's wording outside the claims, and the two
    reports name a common place when both name places (two Halloween party shootings, one
    in Tampa and one in Indianapolis, are two events)."""
    x, y = _context(a), _context(b)
    shared = len(x & y)
    if not x or not y or shared < MIN_SHARED_WORDS:
        return False
    if not _same_places(a.report, b.report):
        return False
    return shared / min(len(x), len(y)) >= MIN_CONTEXT_OVERLAP


def _same_places(a: Report, b: Report) -> bool:
    here, there = _report_places(a), _report_places(b)
    return not (here and there) or bool(here & there)


@lru_cache(maxsize=4096)
def _report_places(report: Report) -> frozenset[str]:
    found: set[str] = set()
    for sentence in _sentences(report):
        if _title_case(sentence):
            continue
        for m in _ANY_PLACE.finditer(sentence):
            for word in re.findall(r"[A-Z][\w-]*", m.group("names")):
                name = fold(word)
                if name not in _NOT_AGENTS and name not in STOPWORDS:
                    found.add(name)
    return frozenset(found - set(_DIRECTION.split("|")))


def _places(sentence: str) -> frozenset[str]:
    """Places the sentence sets its claim in ("in Kenya and Somalia" → {kenya, somalia})."""
    found: set[str] = set()
    if _title_case(sentence):
        return frozenset()  # "Killed in Hospital Blast": capitals name nothing here
    for m in _PLACE.finditer(sentence):
        for name in re.split(r"\s+and\s+", m.group("names")):
            head = fold(re.sub(r"['’]s$", "", name.split()[0]))
            if head not in _NOT_AGENTS and head not in STOPWORDS:
                found.add(head)
    return frozenset(found)


def _title_case(sentence: str) -> bool:
    long = [w for w in sentence.split() if len(w) > 3 and w[0].isalpha()]
    return bool(long) and sum(w[0].isupper() for w in long) >= 0.85 * len(long)


def _times(sentence: str) -> frozenset[str]:
    return frozenset(" ".join(fold(m.group()).split()) for m in _TIME_REF.finditer(sentence))


def _compatible_references(a: _Claim, b: _Claim) -> bool:
    """No place or time named by both sentences differs ("in Kenya" vs "in Kenya and
    Somalia", "on Monday" vs "since Oct 7"); a sentence naming none is compatible."""
    for refs in (_places, _times):
        x, y = refs(a.sentence), refs(b.sentence)
        if x and y and x != y:
            return False
    return True


def _close(a: _Claim, b: _Claim) -> bool:
    return abs(a.report.when - b.report.when) <= timedelta(hours=MAX_HOURS_APART)


def _differ(a: _Claim, b: _Claim) -> bool:
    """The ranges the two figures allow do not overlap."""
    return a.high < b.low or b.high < a.low


def _is_update(a: _Claim, b: _Claim) -> bool:
    """The later report counts more (a toll grows as it is counted), or says it changed."""
    if a.report.when == b.report.when:
        return False
    earlier, later = sorted((a, b), key=lambda c: c.report.when)
    toll = not a.key[1].startswith(("money:", "share "))
    return later.updates or (toll and later.low > earlier.high)


def _figures_conflict(a: _Claim, b: _Claim) -> bool:
    if a.key != b.key or a.report.outlet == b.report.outlet or not _close(a, b):
        return False
    return (
        _differ(a, b)
        and not _is_update(a, b)
        and _compatible_references(a, b)
        and _same_event(a, b)
    )


def _opposed(a: _Claim, b: _Claim) -> bool:
    """A party blamed by one speaker blames someone else, or denies it."""
    if _same_party(a.speaker, b.speaker):
        return False
    agents = a.key[1], b.key[1]
    kinds = {a.key[0], b.key[0]}
    if kinds == {"cause"}:
        return not _same_party(*agents) and (
            _same_party(b.speaker, agents[0]) or _same_party(a.speaker, agents[1])
        )
    return kinds == {"cause", "denial"} and _same_party(*agents)


def _causes_conflict(a: _Claim, b: _Claim) -> bool:
    if a.report.outlet == b.report.outlet or not _close(a, b):
        return False
    return _opposed(a, b) and _same_event(a, b)


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
            topic = a.key[:3] if a.key[0] == "figure" else ("cause",)
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
