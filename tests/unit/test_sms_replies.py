"""Every text the time bank sends stays in GSM-7 and, for ordinary names, one segment."""

from __future__ import annotations

import pytest

from timebank.sms import replies
from timebank.sms.gsm import is_gsm7, segment_count

BANK = "Ravensbourne Time Bank"
PRACTICE = "Rushey Green Group Practice"

TEXTS = {
    "member help": replies.member_help(BANK),
    "partner help": replies.partner_help(BANK),
    "stranger": replies.stranger_reply(BANK),
    "not understood": replies.not_understood(BANK),
    "balance": replies.balance("Dorothy", -570, -600),
    "to confirm": replies.exchange_to_confirm("Joyce Campbell", 90, "Gardening", 1234),
    "referral received": replies.referral_received("R-0042"),
    "invitation": replies.referral_invitation("Jane", PRACTICE, BANK),
    "joined": replies.patient_joined("R-0042"),
    "first exchange": replies.patient_first_exchange("R-0042"),
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_each_text_is_gsm7_and_one_segment(name):
    body = TEXTS[name]
    assert is_gsm7(body), body
    assert segment_count(body) == 1, f"{name}: {len(body)} characters"


def test_odd_characters_and_long_names_do_not_break_the_segment():
    body = replies.referral_invitation(
        "Zoë\u2019s", "The \u201cVery\u201d Long Named Practice " * 4, BANK
    )
    assert is_gsm7(body) and segment_count(body) == 1


def test_balance_reads_in_hours_and_minutes_with_the_limit():
    assert replies.balance("Dorothy", -570, -600) == (
        "Hello Dorothy, your balance is -9:30 hours. You can go down to -10:00."
    )
