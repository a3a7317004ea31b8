"""What a text to the time bank asks for: a pure parser, no database.

Members and practices type on small keyboards, so case, spacing and punctuation are
forgiven. Anything that is not understood parses as `Unknown` and gets a short, kind reply.

Grammar (keywords in any case):
  STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT      stop all texts
  START, UNSTOP                                      texts again
  HELP, INFO                                         what you can text
  BAL, BALANCE                                       your balance
  YES 123 / NO 123                                   confirm or decline exchange 123
  YES / NO                                           answer an invitation (consent)
  GAVE <time> TO <member number or mobile> [what]    log hours you gave
  JOIN [first name]                                  ask to join (refer yourself)
  REFER <mobile> <first name> [a few words]          a practice refers a patient
  <number>, e.g. 3                                   answers an open outcome question
<time> is 30m, 45 mins, 1h, 1h30, 1:30, 1.5, 2 hours or 90 (minutes when over 12).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
BALANCE_WORDS = frozenset({"BAL", "BALANCE"})
MAX_TEXT = 1600


@dataclass(frozen=True)
class OptOut:
    pass


@dataclass(frozen=True)
class OptIn:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Balance:
    pass


@dataclass(frozen=True)
class Answer:
    """YES or NO: to a pending exchange when `code` is given, else to an invitation."""

    yes: bool
    code: int | None = None


@dataclass(frozen=True)
class Gave:
    minutes: int
    to_member_number: int | None
    to_mobile: str | None
    what: str


@dataclass(frozen=True)
class Join:
    first_name: str


@dataclass(frozen=True)
class Refer:
    mobile: str
    first_name: str
    reason: str


@dataclass(frozen=True)
class Number:
    """A bare whole number: an answer when an outcome question is open, else not understood."""

    value: int


@dataclass(frozen=True)
class Unknown:
    """Not understood; `hint` says which command it looked like, if any."""

    hint: str = ""


Command = OptOut | OptIn | Help | Balance | Answer | Gave | Join | Refer | Number | Unknown

_DURATION = re.compile(
    r"^(?:(?P<h>\d{1,2})\s*(?:h|hr|hrs|hour|hours)\s*(?:(?P<hm>\d{1,2})\s*(?:m|min|mins|minutes?)?)?"
    r"|(?P<m>\d{1,3})\s*(?:m|min|mins|minutes?)"
    r"|(?P<ch>\d{1,2}):(?P<cm>[0-5]\d)"
    r"|(?P<dec>\d{1,2}(?:\.\d{1,2})?))$",
    re.IGNORECASE,
)
# Numbers written in words: not read as answers, but answered with the form that is.
NUMBER_WORDS = frozenset("zero none one two three four five six seven eight nine ten".split())
_PHONE = re.compile(r"^\+?[\d\s().-]{9,20}")


def parse_duration(text: str) -> int | None:
    """Return minutes for '1h30', '90m', '1:30', '1.5', '2 hours'; None if not a duration."""
    match = _DURATION.match(text.strip())
    if not match:
        return None
    parts = match.groupdict()
    if parts["h"] is not None:
        minutes = int(parts["h"]) * 60 + int(parts["hm"] or 0)
    elif parts["m"] is not None:
        minutes = int(parts["m"])
    elif parts["ch"] is not None:
        minutes = int(parts["ch"]) * 60 + int(parts["cm"])
    else:
        value = float(parts["dec"])
        # A bare number: hours when small (2 = two hours), minutes when larger (90).
        minutes = round(value * 60) if value <= 12 else round(value)
    return minutes if minutes > 0 else None


def _split_phone(text: str) -> tuple[str | None, str]:
    match = _PHONE.match(text)
    if not match:
        return None, text
    raw = match.group(0).rstrip(" .-(")
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 10:
        return None, text
    return raw.strip(), text[len(raw) :].strip(" ,.:;-")


def _parse_gave(rest: str) -> Command:
    match = re.match(r"^(?P<time>.+?)\s+to\s+(?P<who>.+)$", rest, re.IGNORECASE)
    if not match:
        return Unknown("gave")
    minutes = parse_duration(match.group("time"))
    if minutes is None:
        return Unknown("gave")
    who = match.group("who").strip()
    number = re.match(r"^(?:m|#|member\s*)?(\d{1,7})\b\s*(.*)$", who, re.IGNORECASE)
    if number and len(number.group(1)) <= 7 and not who.startswith(("0", "+")):
        return Gave(minutes, int(number.group(1)), None, number.group(2).strip())
    phone, what = _split_phone(who)
    if phone is None:
        return Unknown("gave")
    return Gave(minutes, None, phone, what)


def _parse_refer(rest: str) -> Command:
    phone, after = _split_phone(rest.strip(" :,-"))
    if phone is None:
        return Unknown("refer")
    words = after.split(maxsplit=1)
    name = words[0].rstrip(",.;:") if words else ""
    if not re.match(r"^[^\W\d_][\w'.-]*$", name):
        return Unknown("refer")
    reason = words[1].strip() if len(words) > 1 else ""
    return Refer(phone, name[:40], reason[:300])


def parse_text(body: str) -> Command:
    """Return the command a text asks for; never raises, whatever it is sent."""
    text = " ".join((body or "")[:MAX_TEXT].split())
    if not text:
        return Unknown()
    keyword, _, rest = text.partition(" ")
    word = keyword.upper().strip(".!,:")
    if not rest:
        if word in OPT_OUT_WORDS:
            return OptOut()
        if word in OPT_IN_WORDS:
            return OptIn()
        if word in HELP_WORDS:
            return Help()
        if word in BALANCE_WORDS:
            return Balance()
        if re.fullmatch(r"\d{1,3}", word):
            return Number(int(word))
        if word.lower() in NUMBER_WORDS:
            return Unknown("number")
    if word in ("YES", "Y", "NO", "N"):
        code = re.fullmatch(r"#?(\d{1,9})", rest.strip(" .!"))
        if rest.strip(" .!") and not code:
            return Unknown("answer")
        return Answer(word.startswith("Y"), int(code.group(1)) if code else None)
    if word in ("GAVE", "LOG"):
        return _parse_gave(rest)
    if word == "JOIN":
        name = rest.split()[0].strip(".,")[:40] if rest else ""
        return Join(name)
    if word == "REFER":
        return _parse_refer(rest)
    return Unknown()
