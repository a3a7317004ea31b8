"""What every report figure counts, in plain words, kept in one place.

The report pages and the CSV export show these next to the figures; the API describes its
fields with them. Each figure comes from what members and brokers already do.
"""

from __future__ import annotations

ACTIVE_DAYS = 90
STAFF = "Brokers and admins are the time bank's staff and are not counted as members."
HELP_GIVEN = (
    "A group exchange counts its length once for each person who gave help, not once for "
    "each person who received it: a 2-hour lunch club cooked by one member for three counts "
    "2 hours, as Volunteering England's method counts a volunteer's time."
)
COUNTED = (
    "An exchange counts when the hours moved (posted at once, or confirmed by the person "
    "helped) and it was not reversed; one waiting to be confirmed does not count yet. A group "
    "exchange counts once however many took part. Days are those the help happened on."
)

# The headline figures the API has always returned, under their API names.
HEADLINE = {
    "minutes_exchanged": "Minutes of help given between members in exchanges that happened in "
    "the period and were confirmed (or needed no confirming), less any reversed. " + HELP_GIVEN,
    "minutes_credited": "Minutes the ledger credited to the people who gave help in those "
    "exchanges: a group exchange once for each giver and receiver pair, so a 2-hour lunch "
    "club for three credits 6 hours. Not the time given.",
    "exchanges": "How many such exchanges: a group exchange counts once.",
    "active_members": f"Members who gave or received help in the {ACTIVE_DAYS} days up to the "
    "end of the period. " + STAFF,
    "new_members": "Members who joined in the period (not counting applicants still waiting). "
    + STAFF,
    "members": "Members who gave or received help of this kind in the period. " + STAFF,
}

DEFINITIONS = HEADLINE | {
    "counted_exchanges": COUNTED,
    "exchanges_by_month": "Exchanges and hours of help given in each month of the period. "
    + COUNTED
    + " "
    + HELP_GIVEN,
    "exchanges_by_category": "Exchanges and hours of help given by the kind of help the person "
    "logging it chose ('Not said' when they chose none).",
    "group_activity": "Group exchanges (one person helping several at once, or several "
    "helping one) against one-to-one exchanges in the period: how many exchanges of each, how "
    "many different members took part in them (giving or receiving), and the hours of help "
    "given. " + HELP_GIVEN + " " + STAFF,
    "members_at_end": "Members of the time bank at the end of the period's last day: joined "
    "by then and not left by then (suspended members still count; applicants still waiting "
    "do not). " + STAFF,
    "never_traded": "Of the members at the end of the period, how many have never given or "
    "received help in an exchange by then.",
    "people_helped": "Different members who received help in an exchange in the period, "
    "each once however often they were helped. " + STAFF,
    "active_previous_period": "Members who gave or received help in the previous period: "
    "as long as this one and ending the day before it starts (for whole months, the same "
    "number of whole months: a quarter's is the quarter before). " + STAFF,
    "still_active": "Of the members active in the previous period, how many also gave or "
    "received help in this one.",
    "left_members": "Members whose status was changed to 'left' in the period (and who have "
    "not come back since). Members who left before this was recorded are not counted.",
    "gave_and_received": "Members who both gave help and received help in the period: the "
    "two-way exchange time banking is for.",
    "active_by_month": "Members who gave or received help in the month or in the two months "
    "before it (for the period's last month, up to the period's end).",
    "retention": "For the members who joined in each month of the period: how many gave or "
    "received help in the three calendar months up to the 3rd, 6th and 12th month after the "
    "month they joined (for January's joiners, 3 months on means February to April). "
    "Shown only once that month is over by the end of the period; 'not yet' before.",
    "median_partners": "The middle number of different people each member has exchanged "
    "with, from the time bank's start to the end of the period, among members who have "
    "exchanged with anyone.",
    "partners_distribution": "How many members have exchanged with 1, 2 to 3, 4 to 6, "
    "7 to 10, or 11 or more different people, up to the end of the period.",
    "new_connections": "Pairs of members who exchanged with each other for the first time "
    "in the period.",
    "connections_by_month": "New connections (pairs of members exchanging for the first "
    "time) in each month of the period.",
    "cross_area_exchanges": "Giver and receiver pairs in the period's exchanges where the two "
    "live in different areas (a group exchange gives one pair for each giver and receiver); "
    "only pairs where both areas are known are counted.",
    "cross_area_share": "Those pairs as a share of all the period's giver and receiver pairs "
    "where both areas are known.",
    "referred_pairs": "Giver and receiver pairs in the period's exchanges (a group exchange "
    "gives one pair for each giver and receiver) where one or both were referred by a "
    "referral partner such as a GP practice.",
    "mixed_pairs": "Of those pairs, how many were between a referred member and a member "
    "who was not referred (not staff).",
    "mixing_share": "Those mixed pairs as a share of all referred members' pairs: the "
    "evidence that the time bank mixes people up rather than grouping them by condition.",
    "open_offers": "Offers of help still open at the end of the period (posted by then, "
    "not closed).",
    "unmet_requests": "Requests for help posted by the end of the period that are still open "
    "and not matched with a helper.",
    "requests_posted": "Requests for help posted in the period.",
    "requests_matched": "Of the requests posted in the period, how many a broker (or the "
    "person asking) matched with a helper by the end of the period.",
    "median_days_to_match": "The middle number of days from a request being posted to it "
    "being matched, for the requests posted and matched in the period.",
    "supply_by_category": "Offers and requests by kind of help: open offers and unmet "
    "requests at the end of the period, requests posted and matched in it.",
    "referred": "People a referral partner (such as a GP practice) referred in the period.",
    "consented": "Of those, how many said yes to hearing from the time bank.",
    "joined": "Of those, how many joined as members.",
    "first_exchange": "Of those who joined, how many have given or received help in an "
    "exchange by the end of the period.",
    "active_at_3_months": "Of those who joined at least 3 months before the end of the "
    f"period, how many gave or received help in the {ACTIVE_DAYS} days up to 3 months after "
    "they joined.",
    "median_days_to_first_exchange": "The middle number of days from the referral to the "
    "person's first exchange, among those who have had one.",
    "referral_funnel": "How far the people referred in the period have got: referred, said "
    "yes, joined, first exchange, still active at 3 months.",
    "flagged": "Members the time bank's checks flagged in the period as needing a call "
    "(no exchange for a while, no first exchange, only giving, and so on).",
    "contacted": "Of those, how many a broker phoned, texted or visited after the flag "
    "was raised and by the end of the period (including tries with no answer).",
    "re_engaged": "Of those flagged, how many a broker recorded as back in touch, or whose "
    "flag was closed as re-engaged, by the end of the period.",
    "hours_exchanged": "Hours of help given between members in the period: the volunteers' "
    "time. " + HELP_GIVEN + " " + COUNTED,
    "hours_credited": "Hours the ledger credited to the people who gave help in the period: "
    "a group exchange once for each giver and receiver pair (a 2-hour lunch club for three "
    "credits 6 hours). It is what moved between accounts, not the time given.",
    "estimated_value": "The hours of help given times the time bank's hourly value (a group "
    "exchange counts once for each giver). The default, GBP 13.90 an hour, is the 2008 "
    "average hourly wage of full-time employees in England, the figure Volunteering "
    "England's method for valuing volunteer time uses. It is an estimate of what the help "
    "would cost to buy, not money that changed hands.",
    "hourly_value": "The value of one hour of help the time bank uses for the estimate, set "
    "by its admins.",
    "hourly_value_source": "Where the time bank's value of one hour comes from, as its admins "
    "wrote it (by default Volunteering England's method: the average hourly wage).",
    "suppression": "In the report for funders, every count of people is rounded to the "
    "nearest 5 and a count of 1 to 7 people is shown as '1 to 7' (NHS England's rule for "
    "counts of patients), each figure on its own, and the report covers a whole calendar "
    "month, quarter or year, so nobody can be picked out or worked out by subtraction. Zero "
    "is shown as 0. Hours, money, days and counts of exchanges are never hidden. A GP "
    "practice's own report shows its own referrals exactly. No report names a member.",
}
