"""The simulated people: arrival time, entry channel, names, and the identifiers each system sees.

Phone numbers are fiction-reserved: the UK drama range 07700 900000-900999 (Ofcom) for up to 1,000 UK
people, then North American 555-0100..0199 numbers in every area code (NANP fiction range); only past
~71,000 phone holders does the generator use other 555 line numbers (unassigned in practice). Emails use
the reserved example.com/.org/.net domains. Nobody real is in the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.demo import catalog as C
from ingestion.demo._util import cat, choice_idx, int_str

GB, US = 0, 1
COUNTRIES = ["GB", "US"]
# Phone formats, same index for both countries: 0 E.164, 1 international spaced, 2 national,
# 3 national variant (0044 prefix / dashed), 4 digits only (the WhatsApp id), 5 compact variant
N_PHONE_FORMATS = 6
N_EMAIL_VARIANTS = 6


@dataclass
class People:
    n: int
    is_msg: np.ndarray        # reaches the business through a messaging channel (else web-only shopper)
    channel: np.ndarray       # entry messaging channel (catalog index), -1 for web-only people
    t0: np.ndarray            # first contact with the business (epoch seconds)
    country: np.ndarray
    language: np.ndarray
    first: np.ndarray
    last: np.ndarray
    email: np.ndarray         # canonical lower-case email (everyone has one; systems may not know it)
    has_phone: np.ndarray
    phones: np.ndarray        # object [N_PHONE_FORMATS, n]; None where no phone
    emails: np.ndarray        # object [N_EMAIL_VARIANTS, n]: case and whitespace variants


def _area_codes() -> np.ndarray:
    codes = [n * 100 + m * 10 + x for n in range(2, 10) for m in range(0, 9) for x in range(10)]
    return np.array([c for c in codes if c % 100 != 11], dtype=np.int64)


def arrival_times(rng: np.random.Generator, n: int, start_s: int, n_days: int) -> np.ndarray:
    days = np.arange(n_days)
    dow = (start_s // 86400 + days + 3) % 7  # 0 = Monday
    trend = 0.65 + 0.7 * days / max(n_days - 1, 1)
    weekly = np.where(dow == 5, 0.85, np.where(dow == 6, 0.8, 1.0))
    wobble = 1 + 0.15 * np.sin(days / 9.0)
    day = choice_idx(rng, trend * weekly * wobble, n)
    hourly = [0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.5, 0.8, 1, 1.1, 1.1, 1.1, 1.1, 1.2, 1.3, 1.4, 1.4, 1.4, 1.4,
              1.3, 1.1, 0.8, 0.5]
    hour = choice_idx(rng, hourly, n)
    return start_s + day * 86400.0 + hour * 3600.0 + rng.uniform(0, 3600, n)


def simulate(rng: np.random.Generator, n: int, start_s: int, n_days: int) -> People:
    is_msg = rng.random(n) < 0.82
    channel = np.where(is_msg, choice_idx(rng, C.ENTRY_CHANNEL_WEIGHTS, n), -1)
    t0 = arrival_times(rng, n, start_s, n_days)
    has_phone = (channel == C.WA) | (rng.random(n) < np.where(is_msg, 0.45, 0.4))

    # countries: UK people limited by the size of the Ofcom drama range
    want_gb = rng.random(n) < 0.25
    holders_gb = np.flatnonzero(has_phone & want_gb)[:1000]
    country = np.full(n, US, dtype=np.int64)
    country[~has_phone & want_gb] = GB
    country[holders_gb] = GB
    us_holders = np.flatnonzero(has_phone & (country == US))

    phones = np.full((N_PHONE_FORMATS, n), None, dtype=object)
    if len(holders_gb):
        nnn = int_str(rng.permutation(1000)[: len(holders_gb)], width=3)
        for f, fmt in enumerate([("+447700900", ""), ("+44 7700 900", ""), ("07700 900", ""),
                                 ("0044 7700 900", ""), ("447700900", ""), ("07700900", "")]):
            phones[f, holders_gb] = cat(fmt[0], nnn)
    if len(us_holders):
        codes = _area_codes()
        k = len(us_holders)
        reserved = len(codes) * 100
        r = min(k, reserved)
        pick = rng.choice(reserved, size=r, replace=False)
        ac = codes[pick // 100]
        line = 100 + pick % 100
        if k > r:
            extra = rng.choice(len(codes) * 9800, size=k - r, replace=False)
            el = extra % 9800
            ac = np.concatenate([ac, codes[extra // 9800]])
            line = np.concatenate([line, np.where(el >= 100, el + 100, el)])
        a, ln = int_str(ac), int_str(line, width=4)
        phones[0, us_holders] = cat("+1", a, "555", ln)
        phones[1, us_holders] = cat("+1 (", a, ") 555-", ln)
        phones[2, us_holders] = cat("(", a, ") 555-", ln)
        phones[3, us_holders] = cat(a, "-555-", ln)
        phones[4, us_holders] = cat("1", a, "555", ln)
        phones[5, us_holders] = cat("+1 ", a, " 555 ", ln)

    fi = rng.integers(0, len(C.FIRST_NAMES), n)
    li = rng.integers(0, len(C.LAST_NAMES), n)
    first = np.array(C.FIRST_NAMES, dtype=object)[fi]
    last = np.array(C.LAST_NAMES, dtype=object)[li]
    fl = np.char.lower(first.astype("U"))
    ll = np.char.lower(last.astype("U"))
    num = int_str(np.arange(1, n + 1)).astype("U")
    pattern = rng.integers(0, 3, n)
    local = np.where(pattern == 0, np.char.add(np.char.add(fl, "."), ll),
                     np.where(pattern == 1, np.char.add(fl, ll.astype("U1")),
                              np.char.add(fl.astype("U1"), ll)))
    domain = np.array(C.EMAIL_DOMAINS)[choice_idx(rng, [0.55, 0.2, 0.15, 0.1], n)]
    email = np.char.add(np.char.add(np.char.add(local, num), "@"), domain)
    emails = np.empty((N_EMAIL_VARIANTS, n), dtype=object)
    emails[0] = email.astype(object)
    emails[1] = np.char.add(" ", email).astype(object)
    emails[2] = np.char.capitalize(email).astype(object)
    emails[3] = np.char.add(email, "  ").astype(object)
    emails[4] = np.char.upper(email).astype(object)
    emails[5] = np.char.title(email).astype(object)
    language = choice_idx(rng, C.LANGUAGE_WEIGHTS, n)
    return People(n=n, is_msg=is_msg, channel=channel, t0=t0, country=country, language=language, first=first,
                  last=last, email=email.astype(object), has_phone=has_phone, phones=phones, emails=emails)


def pick_variant(matrix: np.ndarray, person: np.ndarray, variant: np.ndarray) -> np.ndarray:
    """The identifier of ``person`` in format/variant ``variant`` (object array)."""
    return matrix[np.asarray(variant, dtype=np.int64), np.asarray(person, dtype=np.int64)]
