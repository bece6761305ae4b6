"""Numbers, dates, names and user text as the reports print them.

One place for the conventions (a true minus sign, non-breaking spaces, a
fixed number of digits) and for escaping text that came from a data file, so a
notebook, a table and a test all print a value the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.models.inference import CONFIDENCE

MINUS = "\u2212"
NBSP = "\u00a0"
CI_LEVEL_PCT = round(100 * CONFIDENCE)
"""The confidence level of every interval, as the reports print it [%]."""


def format_number(value, digits: int = 1, *, signed: bool = False) -> str:
    """A number for the report: typographic minus, ``"n/a"`` when missing."""
    if value is None or not np.isfinite(float(value)):
        return "n/a"
    text = f"{float(value):+.{digits}f}" if signed else f"{float(value):.{digits}f}"
    if text.lstrip("+-").strip("0.") == "":  # -0.0 -> 0.0, +0.0 -> 0.0
        text = f"{0.0:.{digits}f}"
    return text.replace("-", MINUS)


def format_pct(value, digits: int = 1, *, signed: bool = True) -> str:
    """``-5.55`` -> ``"−5.6 %"`` (no-break space before the percent sign)."""
    text = format_number(value, digits, signed=signed)
    return text if text == "n/a" else f"{text}{NBSP}%"


def format_change(change_pct, ci_low_pct, ci_high_pct, digits: int = 1) -> str:
    """The change with its CI exactly as the reports print it.

    ``format_change(-5.553, -8.946, -2.034)`` gives ``"−5.6 % (95 % CI −8.9 to −2.0 %)"``
    (typographic minus, no-break spaces).
    """
    if change_pct is None or not np.isfinite(float(change_pct)):
        return "n/a"
    lo = format_number(ci_low_pct, digits, signed=True)
    hi = format_number(ci_high_pct, digits, signed=True)
    return f"{format_pct(change_pct, digits)} ({CI_LEVEL_PCT}{NBSP}% CI {lo} to {hi}{NBSP}%)"


def format_date(value, fmt: str = "%d %b %Y") -> str:
    return "n/a" if value is None or pd.isna(value) else pd.Timestamp(value).strftime(fmt)


def display_name(runner: Mapping | pd.Series) -> str:
    """The runner's name from runners.csv, else the runner id."""
    runner = as_mapping(runner)
    name = runner.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else str(runner["runner_id"])


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional formatting characters: embeddings, overrides, isolates, marks.
_BIDI_CONTROL = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
# Characters with a meaning in Markdown or HTML (or that start an autolink:
# "http:", "www.", "a@b"), written as numeric character references: the
# renderer prints them as themselves and never as syntax, with no backslash.
_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#|!~+-.:@$=%"}


def clean_text(text) -> str:
    """User text with control and bidirectional formatting characters removed.

    A right-to-left override (U+202E) left open in a runner's name would
    reverse the rest of the report's sentence; tabs and newlines become spaces.
    """
    text = _BIDI_CONTROL.sub("", str(text))
    text = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return _CONTROL.sub("", text)


def md_escape(text) -> str:
    """User text (names, groups, exercises, reasons) made safe for Markdown and HTML.

    Control and bidirectional formatting characters are dropped
    (:func:`clean_text`); every character with a meaning in HTML or Markdown
    (``< > &``, emphasis, links, headings, and the ``:`` ``.`` ``@`` that
    start an autolink) becomes a numeric character reference, so no tag or
    link in a data file ever reaches the report's HTML and nothing prints a
    stray backslash; text with right-to-left letters is wrapped in ``<bdi>`` so it
    cannot reorder the sentence around it.
    """
    text = clean_text(text)
    rtl = bool(_RTL.search(text))
    text = "".join(_ENTITIES.get(c, c) for c in text)
    return f"<bdi>{text}</bdi>" if rtl else text


_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff]"
    "[\ufe0f\u200d\U0001f3fb-\U0001f3ff\U0001f000-\U0001faff\u2640\u2642]*"
)


def _emoji_name(match) -> str:
    return "[" + unicodedata.name(match.group(0)[0], "symbol").lower() + "]"


FIGURE_LABEL_CHARS = 40
"""Longest user text in a figure label; longer text ends in an ellipsis (the tables
print it whole), so a long name or group cannot push an axis off the figure."""


def figure_text(text, limit: int = FIGURE_LABEL_CHARS) -> str:
    """User text for a figure label: control and bidi formatting characters removed,
    emoji replaced visibly by their name (``[person running]``), at most
    ``limit`` characters.

    Figures never parse mathtext (``text.parse_math`` is off in
    :mod:`analysis.plots`), so ``$`` needs no escaping; their font has no
    emoji, which would print as empty boxes (the PDF text has an emoji font).
    """
    text = _EMOJI.sub(_emoji_name, clean_text(text))
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def format_pace(seconds_per_km) -> str:
    """``312.4`` -> ``"5:12/km"``; ``""`` for a missing or non-positive value."""
    try:
        value = float(seconds_per_km)
    except (TypeError, ValueError):
        return ""
    if not np.isfinite(value) or value <= 0:
        return ""
    total = int(round(value))
    return f"{total // 60}:{total % 60:02d}/km"


def format_p(p) -> str:
    if p is None or not np.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def format_int(value) -> str:
    return "n/a" if value is None or pd.isna(value) else str(int(value))


def as_mapping(row) -> Mapping:
    if isinstance(row, pd.DataFrame):
        return row.iloc[0].to_dict()
    if isinstance(row, pd.Series):
        return row.to_dict()
    return row
