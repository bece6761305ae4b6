"""Numbers, dates, names and user text exactly as the reports print them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.formatting import (
    MINUS,
    NBSP,
    clean_text,
    display_name,
    format_change,
    format_date,
    format_int,
    format_number,
    format_p,
    format_pct,
    md_escape,
)


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0004, "< 0.001"),
        (0.001, "0.001"),
        (0.0466, "0.047"),
        (1.0, "1.000"),
        (None, "n/a"),
        (math.nan, "n/a"),
        (math.inf, "n/a"),
    ],
)
def test_format_p(p, text):
    assert format_p(p) == text


def test_format_number_signs_digits_and_negative_zero():
    assert format_number(-5.553) == f"{MINUS}5.6"
    assert format_number(5.553, 2) == "5.55"
    assert format_number(2.0, 0, signed=True) == "+2"
    assert format_number(-0.04, 1) == "0.0" and format_number(-0.04, 1, signed=True) == "0.0"
    assert format_number(None) == "n/a" and format_number(np.nan) == "n/a"


def test_format_pct_and_change():
    assert format_pct(-5.56) == f"{MINUS}5.6{NBSP}%"
    assert format_pct(3.0, signed=False) == f"3.0{NBSP}%"
    assert format_pct(np.nan) == "n/a"
    assert format_change(np.nan, -1, 1) == "n/a"
    assert format_change(1.25, -0.5, 3.0, digits=2) == (
        f"+1.25{NBSP}% (95{NBSP}% CI {MINUS}0.50 to +3.00{NBSP}%)"
    )


def test_format_date_int_and_name():
    assert format_date(pd.Timestamp("2026-02-16 07:00")) == "16 Feb 2026"
    assert format_date(pd.NaT) == "n/a" and format_date(None) == "n/a"
    assert format_date("2026-02-16", "%Y-%m-%d") == "2026-02-16"
    assert format_int(7.0) == "7" and format_int(pd.NA) == "n/a" and format_int(None) == "n/a"
    assert display_name({"runner_id": "R1", "name": "  Ana "}) == "Ana"
    assert display_name({"runner_id": "R1", "name": "   "}) == "R1"
    assert display_name({"runner_id": "R1", "name": np.nan}) == "R1"


def test_clean_text_drops_controls_and_bidi_and_keeps_letters():
    assert clean_text("a\tb\nc\rd") == "a b c d"
    assert clean_text("x\x00\x07y\x7f\x85z") == "xyz"
    assert clean_text("\u202eabc\u202c\u2066d\u2069\u200f") == "abcd"
    assert clean_text(12) == "12"
    assert clean_text("Zoë Ångström") == "Zoë Ångström"


def test_md_escape_isolates_right_to_left_text_only():
    assert md_escape("Ana") == "Ana"
    assert md_escape("שלום") == "<bdi>שלום</bdi>"
    assert md_escape("a b") == "a b"
