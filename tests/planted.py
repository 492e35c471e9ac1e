"""Personal values the tests plant in their inputs, and the check that none of them reaches a message.

Tests that feed personal data to a loader (the bad-input corpus, the hostile API servers) take their
emails, phones and names from here. ``tests/conftest.py`` captures every log record, every captured
stdout/stderr of a test and the output of every subprocess a test runs, and fails the test whose
output holds one of these values (in any of its written forms: a phone also as its bare digits).
"""

from __future__ import annotations

import re

EMAILS = (
    "zelda.planted@example.org",
    "quentin+crm@planted-mail.example",
    "O'Hara.Planted@Example.net",
)
PHONES = (
    "+49 151 7304 2869",
    "+14155550173",
    "0151-6608-3917",
)
NAMES = (
    "Zebulon",
    "Quixotic-Planted",
)
CLICK_IDS = ("ctwa-PLANTED-7f3a9c",)

ALL: tuple[str, ...] = (*EMAILS, *PHONES, *NAMES, *CLICK_IDS)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


_FORMS: list[tuple[str, str]] = []
for _value in ALL:
    _FORMS.append((_value, _value.lower()))
for _phone in PHONES:
    _FORMS.append((_phone, _digits(_phone)))          # 4915123456789
    _FORMS.append((_phone, _digits(_phone)[-9:]))     # a national tail


def leaks(text: str) -> list[str]:
    """The planted values (as planted) that ``text`` holds in any written form."""
    low = text.lower()
    # each run of digits and phone separators, squashed on its own (never digits of separate numbers)
    runs = [_digits(r) for r in re.findall(r"[+\d][\d \t().\-/]*\d", text)]
    found: list[str] = []
    for value, form in _FORMS:
        hit = any(form in r for r in runs) if form.isdigit() else form in low
        if hit and value not in found:
            found.append(value)
    return found


def masked(value: str) -> str:
    """How a failure message names a leaked value without repeating it."""
    return f"{value[:2]}...({len(value)} chars)"
