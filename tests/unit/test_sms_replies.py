"""Every text the time bank sends stays in GSM-7 and, for ordinary names, one segment."""

from __future__ import annotations

import pytest

from timebank.sms import replies
from timebank.sms.gsm import is_gsm7, segment_count

BANK = "Ravensbourne Time Bank"
PRACTICE = "Rushey Green Group Practice"
LONG_BANK = "The Extremely Long Named Community Time Bank of Somewhere"

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
        "This exchange is more than Dorothy Palmer can receive right now. Please ask your broker."
    ),
    "proposal ask": replies.proposal_ask(
        "Grace", BANK, "Jane", "gardening", "Tue mornings, Catford", 12
    ),
    "proposal ask with long details": replies.proposal_ask(
        "Grace Okonkwo-Smithson",
        LONG_BANK,
        "Jane-Marie",
        "befriending and conversation",
        "Tuesday and Thursday mornings, or most afternoons after two, near Catford Broadway",
        1234567,
    ),
    "proposal accepted": replies.proposal_accepted("Jane"),
    "proposal declined": replies.proposal_declined("Jane"),
    "proposal already answered": replies.proposal_already_answered(1234567),
    "proposal closed": replies.proposal_closed(1234567),
    "proposal no longer needed": replies.proposal_no_longer_needed(LONG_BANK, "Jane", 1234567),
    "introduction to the helper": replies.introduction(
        BANK, "Jane", "gardening", True, "Tue 3 Mar at 10:00, Catford library", "Grace 07123 456789"
    ),
    "introduction with a long place": replies.introduction(
        LONG_BANK,
        "Jane-Marie",
        "befriending and conversation",
        False,
        "Wed 11 Mar at 14:30, the community room behind St Laurence church on Bromley Road",
        "Grace Okonkwo 07123 456789",
    ),
    "introduction without a meeting": replies.introduction(
        BANK, "Sam", "gardening", False, "", "Grace 07123 456789"
    ),
    "bank suspended": replies.bank_suspended(LONG_BANK),
    "imported member invitation": replies.imported_member_invitation(
        LONG_BANK, "https://timebank.example.org/sign-in/code"
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


def test_a_proposal_names_the_broker_requester_help_and_code():
    assert replies.proposal_ask(
        "Grace", BANK, "Jane", "gardening", "Tue mornings, Catford", 12
    ) == (
        "Grace from Ravensbourne Time Bank: could you help Jane with gardening "
        "(Tue mornings, Catford)? Reply YES 12 or NO 12."
    )


def test_a_proposal_with_long_details_keeps_the_code_and_shortens_the_details():
    body = replies.proposal_ask(
        "Grace", BANK, "Jane", "gardening", "Tuesday and Thursday mornings, " * 3, 1234567
    )
    assert segment_count(body) == 1 and "...)" in body
    assert body.endswith("? Reply YES 1234567 or NO 1234567.")


def test_a_proposal_with_long_names_leaves_the_details_out_to_stay_one_text():
    body = TEXTS["proposal ask with long details"]
    assert "(" not in body and body.endswith("? Reply YES 1234567 or NO 1234567.")


def test_an_introduction_tells_the_helper_who_when_where_and_who_to_call():
    assert TEXTS["introduction to the helper"] == (
        "Ravensbourne Time Bank: Jane would like your help with gardening. First meeting "
        "Tue 3 Mar at 10:00, Catford library. Questions? Grace 07123 456789"
    )


def test_a_long_meeting_place_is_shortened_but_the_broker_stays():
    body = TEXTS["introduction with a long place"]
    assert "..." in body and body.endswith("Questions? Grace Okonkwo 07123 456789")


def test_an_admin_invitation_is_gsm7_and_at_most_two_segments():
    # It carries a link to the code page (a 43-character token), so it may take two.
    url = "https://timebank.example.org/sign-in/code/" + "A" * 43
    body = replies.admin_invitation("123456", LONG_BANK, url, 24)
    assert is_gsm7(body) and segment_count(body) <= 2
    assert body.startswith("123456 is your code to sign in to ")


def test_an_imported_member_s_invitation_names_the_bank_and_the_sign_in_page():
    body = replies.imported_member_invitation(
        BANK, "https://time\u2013bank.example.org/sign-in/code"
    )
    assert body == (
        "Ravensbourne Time Bank: sign in at https://time-bank.example.org/sign-in/code with "
        "this mobile number and a code we text you. STOP to stop texts."
    )
