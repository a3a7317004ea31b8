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
    "referral redacted": replies.referral_received_redacted("R-0042"),
    "referral already open": replies.referral_already_open("R-0042"),
    "referral bad number": replies.referral_bad_number("07123 45678 and more"),
    "brokers told": replies.referral_for_brokers("R-0042", PRACTICE),
    "brokers told of a self-referral": replies.referral_for_brokers("R-0042", None),
    "join thanks": replies.join_thanks("Jane", BANK),
    "join thanks without a name": replies.join_thanks("", BANK),
    "invitation accepted": replies.invitation_accepted(BANK),
    "invitation declined": replies.invitation_declined(BANK),
    "confirmed": replies.exchange_confirmed("Joyce Campbell", 690),
    "declined": replies.exchange_declined("Joyce Campbell", 690),
    "code not found": replies.code_not_found(1234),
    "already answered": replies.already_answered(1234),
    "answer needs code": replies.answer_needs_code(),
    "gave logged": replies.gave_logged("Dorothy Palmer", 690, "Befriending and conversation"),
    "member not found": replies.member_not_found("07123 456789"),
    "gave format": replies.gave_format(),
    "already member": replies.already_member(BANK),
    "invitation reminder": replies.invitation_reminder(BANK),
    "outreach nudge": replies.outreach_nudge("Joyce", "Grace", BANK),
    "outreach nudge with long names": replies.outreach_nudge(
        "Bartholomew-James" * 2, "Maximiliana" * 3, BANK * 2
    ),
    "refusal": replies.refusal(
        "Dorothy Palmer's balance would fall to -10:30, below the -10:00 limit."
    ),
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


def test_a_long_refusal_is_cut_at_a_word_to_one_segment():
    body = replies.refusal("This exchange could not be recorded because " + "reasons " * 40)
    assert segment_count(body) == 1 and body.endswith("...")
    assert body.startswith("This exchange could not be recorded")


def test_the_outreach_nudge_greets_the_member_and_names_the_broker_and_bank():
    assert replies.outreach_nudge("Joyce", "Grace", BANK) == (
        "Hi Joyce, it's Grace from Ravensbourne Time Bank. We haven't seen you for a while. "
        "Can we help, or is there something you'd like to offer? Reply or call us."
    )
