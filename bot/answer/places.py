"""Which names are places: countries, capitals, US states and continents (GeoNames).

A question that asks "which country" or "which state" wants one of a known, closed set of
names, and one that asks "who" wants no place at all; capitalisation alone cannot tell
"Ghana" from "Mensah". The names are GeoNames' (CC BY 4.0) countries, capitals, US states and
continents, kept in data/places.json (7 KB; its "source" says which extract), read once, on the
first question that needs them. City lists are left out: reading one takes longer than a
whole answer.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Literal

from bot.text.words import fold

PlaceKind = Literal["country", "state", "capital", "continent"]


def place_key(name: str) -> str:
    """A name folded for look-up: "the United States" and "United States" are one."""
    key = " ".join(fold(name).replace(".", "").split())
    return key[4:] if key.startswith("the ") else key


@functools.cache
def _places() -> dict[str, frozenset[str]]:
    text = (resources.files("bot.answer") / "data" / "places.json").read_text("utf-8")
    names: dict[str, list[str]] = json.loads(text)
    kinds: tuple[PlaceKind, ...] = ("country", "state", "capital", "continent")
    return {kind: frozenset(place_key(n) for n in names[kind]) for kind in kinds}


def place_kinds(name: str) -> set[PlaceKind]:
    """What kind of place `name` (as written: "the United States", "Kyiv") is; empty when it is
    no known place."""
    key = place_key(name)
    kinds: tuple[PlaceKind, ...] = ("country", "state", "capital", "continent")
    return {kind for kind in kinds if key in _places()[kind]}


def is_place(name: str) -> bool:
    return bool(place_kinds(name))
