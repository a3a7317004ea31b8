"""A bank's and a member's life across packages: founding a bank with its accounts, joining
with an hour account, status and role, self sign-up with consent, API tokens, and a
member's data (a copy on request, erasure).

These use cases touch members, the ledger, offers, outcomes and referrals at once, so they
sit above all of them; the packages below never need them.
"""
