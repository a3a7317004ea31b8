"""GSM-7 and segment counts: how many texts a message body costs."""

from __future__ import annotations

import unicodedata

# The GSM 03.38 default alphabet, and the extension table whose characters take two septets.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXTENDED = frozenset(GSM7_EXTENDED)


def is_gsm7(text: str) -> bool:
    """Return True when every character fits the GSM-7 alphabet (no UCS-2 needed)."""
    return all(ch in _BASIC or ch in _EXTENDED for ch in text)


def septets(text: str) -> int:
    """Return the GSM-7 length of `text` (extension characters count twice)."""
    return sum(2 if ch in _EXTENDED else 1 for ch in text)


def segment_count(text: str) -> int:
    """Return how many SMS segments `text` needs (160/153 GSM-7, 70/67 UCS-2 units)."""
    if is_gsm7(text):
        length, single, multi = septets(text), 160, 153
    else:
        length, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    if length <= single:
        return 1
    return -(-length // multi)


_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2022": "-",
}


def _gsm7_char(ch: str) -> str:
    if ch in _BASIC or ch in _EXTENDED:
        return ch
    if ch in _REPLACEMENTS:
        return _REPLACEMENTS[ch]
    # Letters with accents GSM-7 lacks lose the accent (ë -> e); anything else is dropped.
    base = unicodedata.normalize("NFKD", ch)
    return "".join(part for part in base if part in _BASIC)


def to_gsm7(text: str) -> str:
    """Return `text` in the GSM-7 alphabet: plain quotes and dashes, accents dropped if need be."""
    return "".join(_gsm7_char(ch) for ch in text)
