"""Six months of the demo bank's life, played through the ledger's services in time order.

Every choice comes from a seeded `random.Random` and every transfer id from a fixed
namespace, so the same `today` always gives the same history.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.demo.stamps import at, fixed_clock
from timebank.demo.story import (
    ANSWER_DELAYS,
    DAILY_EXCHANGES,
    DECLINE_REASONS,
    DEMO_NAMESPACE,
    DEMO_SEED,
    DESCRIPTIONS,
    GP_PRACTICE,
    GROUPS,
    HISTORY_DAYS,
    MEMBERS,
    MINUTES,
    MOBILE_PREFIXES,
    SETTLING_IN_DAYS,
    SKILL_CATEGORIES,
    GroupSeed,
    MemberSeed,
)
from timebank.ledger import errors
from timebank.ledger.accounts import AccountTransferRequest, record_account_transfer
from timebank.ledger.models import Account
from timebank.ledger.pot import community_pot_account
from timebank.ledger.resolutions import confirm_pending, decline_pending, reverse_transfer
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    TransferResult,
    group_transfer_id,
    record_exchange,
    record_group_exchange,
)
from timebank.membership.services import account_of, add_member, add_organisation, set_member_status
from timebank.minutes import format_duration
from timebank.tenancy.models import TimeBank


def mobile_number(index: int) -> str:
    """Return the demo mobile number of the `index`-th member, as people type it."""
    return f"{MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]} {(index * 7919 + 104729) % 10**6:06d}"


@dataclass(eq=False)
class Person:
    seed: MemberSeed
    member_id: int
    account_id: int
    trades_from: dt.date
    trades_until: dt.date  # exclusive

    @property
    def first_name(self) -> str:
        return self.seed.name.split()[0]

    def trades_on(self, day: dt.date) -> bool:
        return self.trades_from <= day < self.trades_until


# A limit the seed would breach is skipped, like a member told "not this time".
LIMIT_ERRORS = (errors.OverdraftLimitReached, errors.MaxBalanceReached)


class Seeder:
    """Plays six months of a time bank's life through the services, in time order."""

    def __init__(self, session: so.Session, bank: TimeBank, today: dt.date) -> None:
        self.session = session
        self.bank_id = bank.id
        self.rng = random.Random(DEMO_SEED)
        self.end = at(today, 0)
        self.start = today - dt.timedelta(days=HISTORY_DAYS)
        self.slug = bank.slug
        self._ids = itertools.count()
        self._seq = itertools.count()
        self._queue: list[tuple[dt.datetime, int, Callable[..., None], tuple[Any, ...]]] = []
        self._receiver_logged: list[ExchangeRequest] = []
        self.people = [self._add(index, seed, today) for index, seed in enumerate(MEMBERS)]
        self.broker = next(p for p in self.people if p.seed.role == "broker")
        add_organisation(session, bank.id, GP_PRACTICE, "gp_practice")
        self.pot_account_id = community_pot_account(session, bank.id).id
        session.rollback()
        self.skipped = 0

    # Scheduling

    def _schedule(self, stamp: dt.datetime, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._queue, (stamp, next(self._seq), action, args))

    def run(self) -> None:
        """Plan the six months, then play every event in time order."""
        for offset in range(HISTORY_DAYS):
            day = self.start + dt.timedelta(days=offset)
            self._schedule(at(day, 7), self._plan_day)
            if day.day == 1:
                self._schedule(at(day, 12), self._donations)
            if day.day == 15:
                self._schedule(at(day, 16), self._grant)
        for group in GROUPS:
            for offset in range(group.first, HISTORY_DAYS, group.every):
                day = self.start + dt.timedelta(days=offset)
                self._schedule(at(day, 10, 30), self._group, group)
        for person in self.people:
            if person.seed.then:
                when = self.end - dt.timedelta(days=person.seed.stops or 0)
                self._schedule(when.replace(hour=9), self._change_status, person)
        mistakes = ("duplicate", "wrong_minutes", "wrong_giver")
        for kind, offset in zip(mistakes, self.rng.sample(range(30, 160), 3), strict=True):
            day = self.start + dt.timedelta(days=offset)
            self._schedule(at(day, 20, 30), self._mistake, kind)
        while self._queue:
            stamp, _seq, action, args = heapq.heappop(self._queue)
            if stamp < self.end:  # later answers have not come in yet: left waiting
                action(stamp, *args)

    # Members

    def _add(self, index: int, seed: MemberSeed, today: dt.date) -> Person:
        member = add_member(
            self.session,
            self.bank_id,
            seed.name,
            mobile=mobile_number(index),
            email=seed.email,
            role=seed.role,
            status=seed.status,
            area=seed.area,
        )
        until = today
        if seed.stops is not None:
            # Leave time for their last exchanges to be answered before they stop.
            until = today - dt.timedelta(days=seed.stops + max(ANSWER_DELAYS) + 1)
        return Person(
            seed=seed,
            member_id=member.id,
            account_id=account_of(self.session, self.bank_id, member.id).id,
            trades_from=today - dt.timedelta(days=seed.joined - SETTLING_IN_DAYS),
            trades_until=until,
        )

    def _change_status(self, stamp: dt.datetime, person: Person) -> None:
        assert person.seed.then is not None
        if person.seed.then == "left":
            # Members who leave often give their unspent hours to the community pot.
            balance = self._balance(person.account_id)
            if balance > 0:
                self._pot_transfer(
                    stamp,
                    "donation",
                    person,
                    person.account_id,
                    self.pot_account_id,
                    balance,
                    "My hours for the pot: I have found paid work. Thank you all!",
                )
        set_member_status(self.session, self.bank_id, person.member_id, person.seed.then)

    def _traders(self, day: dt.date, side: str, category: str | None = None) -> list[Person]:
        return [
            p
            for p in self.people
            if p.trades_on(day)
            and getattr(p.seed, side) > 0
            and (category is None or category in p.seed.skills)
        ]

    def _spare(self, people: list[Person]) -> dict[int, int]:
        """Return how many minutes each person could still receive before their limit."""
        lowest = Account.credits_posted - Account.debits_posted - Account.debits_pending
        rows = self.session.execute(
            sa.select(Account.id, lowest, Account.min_balance).where(
                Account.id.in_([p.account_id for p in people])
            )
        ).tuples()
        spare = {
            account_id: (low - limit if limit is not None else 10**9)
            for account_id, low, limit in rows
        }
        self.session.rollback()
        return {p.member_id: spare[p.account_id] for p in people}

    def _balance(self, account_id: int) -> int:
        account = self.session.get(Account, account_id, populate_existing=True)
        assert account is not None
        balance = account.balance
        self.session.rollback()
        return balance

    def _pick(self, people: list[Person], side: str) -> Person | None:
        if not people:
            return None
        weights = [getattr(p.seed, side) for p in people]
        return self.rng.choices(people, weights=weights)[0]

    def _pick_many(self, people: list[Person], side: str, count: int) -> list[Person]:
        chosen: list[Person] = []
        pool = list(people)
        while pool and len(chosen) < count:
            person = self._pick(pool, side)
            assert person is not None
            chosen.append(person)
            pool.remove(person)
        return chosen

    def _receivers(
        self, day: dt.date, minutes: int, exclude: list[Person], count: int = 1
    ) -> list[Person]:
        candidates = [p for p in self._traders(day, "receives") if p not in exclude]
        if not candidates:
            return []
        spare = self._spare(candidates)
        able = [p for p in candidates if spare[p.member_id] >= minutes]
        return self._pick_many(able, "receives", count)

    # Ledger calls

    def _new_id(self) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, f"{self.slug}/{next(self._ids)}")

    def _record(self, stamp: dt.datetime, request: ExchangeRequest) -> TransferResult | None:
        try:
            return record_exchange(self.session, request, now=fixed_clock(stamp))
        except LIMIT_ERRORS:
            self.skipped += 1
            return None

    def _request(
        self,
        giver: Person,
        receiver: Person,
        minutes: int,
        category: str,
        by: Person,
        happened_on: dt.date,
        description: str | None = None,
    ) -> ExchangeRequest:
        return ExchangeRequest(
            transfer_id=self._new_id(),
            bank_id=self.bank_id,
            giver_id=giver.member_id,
            receiver_id=receiver.member_id,
            minutes=minutes,
            recorded_by_id=by.member_id,
            happened_on=happened_on,
            description=description or self.rng.choice(DESCRIPTIONS[category]),
            skill_category=SKILL_CATEGORIES[category],
        )

    # Everyday exchanges

    def _plan_day(self, stamp: dt.datetime) -> None:
        for _ in range(self.rng.choice(DAILY_EXCHANGES[stamp.weekday()])):
            at = stamp.replace(hour=self.rng.randrange(9, 21), minute=self.rng.randrange(60))
            self._schedule(at, self._exchange)

    def _exchange(self, stamp: dt.datetime) -> None:
        day = stamp.date()
        giver = self._pick(self._traders(day, "gives"), "gives")
        if giver is None:
            return
        category = self.rng.choice(giver.seed.skills)
        minutes = self.rng.choice(MINUTES[category])
        found = self._receivers(day, minutes, exclude=[giver])
        if not found:
            return
        receiver = found[0]
        happened_on = day - dt.timedelta(days=self.rng.choice((0, 0, 0, 1, 2)))
        # The receiver or the broker records it (posted at once), or the giver logs it and
        # it waits for the receiver. The broker types up paper slips later, so in the last
        # week most of what is in came from givers.
        how = self.rng.random() + (0.3 if (self.end - stamp).days < 7 else 0)
        by = receiver if how < 0.35 else self.broker if how < 0.5 else giver
        request = self._request(giver, receiver, minutes, category, by, happened_on)
        result = self._record(stamp, request)
        if result is None:
            return
        if result.phase == "pending":
            answer = stamp + dt.timedelta(days=self.rng.choice(ANSWER_DELAYS), hours=1)
            self._schedule(answer, self._answer, result.id, giver, receiver, minutes)
        elif by is receiver:
            self._receiver_logged.append(request)

    def _answer(
        self,
        stamp: dt.datetime,
        pending_id: uuid.UUID,
        giver: Person,
        receiver: Person,
        minutes: int,
    ) -> None:
        roll = self.rng.random()
        if roll < 0.08:
            reason = self.rng.choice(DECLINE_REASONS)
            decline_pending(
                self.session,
                self.bank_id,
                pending_id,
                self._new_id(),
                receiver.member_id,
                reason=reason,
                now=fixed_clock(stamp),
            )
            return
        fewer = None
        if roll < 0.2 and minutes > 30:
            fewer = minutes - self.rng.choice((15, 30))
        confirm_pending(
            self.session,
            self.bank_id,
            pending_id,
            self._new_id(),
            receiver.member_id,
            minutes=fewer,
            now=fixed_clock(stamp),
        )

    # Group activities

    def _group(self, stamp: dt.datetime, group: GroupSeed) -> None:
        day = stamp.date()
        size = self.rng.randint(*group.size)
        if group.single == "giver":
            giver = self._pick(self._traders(day, "gives", group.category), "gives")
            if giver is None:
                return
            givers = [giver]
            receivers = self._receivers(day, group.minutes, exclude=[giver], count=size)
        else:
            found = self._receivers(day, group.minutes * size, exclude=[])
            if not found:
                return
            receivers = found
            helpers = [p for p in self._traders(day, "gives", group.category) if p not in found]
            givers = self._pick_many(helpers, "gives", size)
        if len(givers) + len(receivers) < 3:
            return
        recent = (self.end - stamp).days < max(ANSWER_DELAYS)
        # Now and then the one giver logs it themselves; each receiver then confirms.
        self_logged = group.single == "giver" and (recent or self.rng.random() < 0.3)
        request = GroupExchangeRequest(
            group_id=self._new_id(),
            bank_id=self.bank_id,
            giver_ids=[p.member_id for p in givers],
            receiver_ids=[p.member_id for p in receivers],
            minutes=group.minutes,
            recorded_by_id=(givers[0] if self_logged else self.broker).member_id,
            happened_on=day,
            description=group.description.format(receiver=receivers[0].first_name),
            skill_category=SKILL_CATEGORIES[group.category],
        )
        try:
            results = record_group_exchange(self.session, request, now=fixed_clock(stamp))
        except LIMIT_ERRORS:
            self.skipped += 1
            return
        if not self_logged:
            return
        for index, (result, receiver) in enumerate(zip(results, receivers, strict=True)):
            if result.phase == "pending":
                assert result.id == group_transfer_id(request.group_id, index)
                answer = stamp + dt.timedelta(days=self.rng.choice(ANSWER_DELAYS), hours=index)
                self._schedule(answer, self._confirm, result.id, receiver)

    def _confirm(self, stamp: dt.datetime, pending_id: uuid.UUID, receiver: Person) -> None:
        confirm_pending(
            self.session,
            self.bank_id,
            pending_id,
            self._new_id(),
            receiver.member_id,
            now=fixed_clock(stamp),
        )

    # The community pot

    def _donations(self, stamp: dt.datetime) -> None:
        day = stamp.date()
        givers = self._traders(day, "gives")
        spare = self._spare(givers)
        donors = [p for p in givers if spare[p.member_id] >= 1200 and p.seed.gives >= 3]
        for donor in donors[:3]:
            if self.rng.random() < 0.6:
                minutes = self.rng.choice((120, 180, 240, 300))
                self._pot_transfer(
                    stamp,
                    "donation",
                    donor,
                    donor.account_id,
                    self.pot_account_id,
                    minutes,
                    "Hours for members who need extra help",
                )
                stamp += dt.timedelta(minutes=17)

    def _grant(self, stamp: dt.datetime) -> None:
        day = stamp.date()
        available = self._balance(self.pot_account_id)
        people = self._traders(day, "receives")
        spare = self._spare(people)
        near_limit = sorted((spare[p.member_id], p.seed.name, p) for p in people)
        if available < 120 or not near_limit or near_limit[0][0] > 120:
            return
        person = near_limit[0][2]
        minutes = min(240, available - available % 60)
        self._pot_transfer(
            stamp,
            "grant",
            self.broker,
            self.pot_account_id,
            person.account_id,
            minutes,
            "Grant from the community pot so help can carry on",
        )

    def _pot_transfer(
        self,
        stamp: dt.datetime,
        code: str,
        by: Person,
        debit_account_id: int,
        credit_account_id: int,
        minutes: int,
        description: str,
    ) -> None:
        request = AccountTransferRequest(
            transfer_id=self._new_id(),
            bank_id=self.bank_id,
            debit_account_id=debit_account_id,
            credit_account_id=credit_account_id,
            minutes=minutes,
            code=code,
            recorded_by_id=by.member_id,
            description=description,
            happened_on=stamp.date(),
        )
        try:
            record_account_transfer(self.session, request, now=fixed_clock(stamp))
        except LIMIT_ERRORS:
            self.skipped += 1

    # Mistakes the broker puts right

    def _mistake(self, stamp: dt.datetime, kind: str) -> None:
        day = stamp.date()
        if kind == "duplicate":
            if not self._receiver_logged:
                return
            first = self._receiver_logged[-1]
            twice = ExchangeRequest(**{**first.__dict__, "transfer_id": self._new_id()})
            reason = "Logged twice by mistake; the first entry stands."
            self._wrong_then_right(stamp, twice, None, reason)
            return
        givers = self._traders(day, "gives")
        giver = self._pick(givers, "gives")
        if giver is None:
            return
        category = self.rng.choice(giver.seed.skills)
        if kind == "wrong_minutes":
            meant, typed = 45, 450
            found = self._receivers(day, typed, exclude=[giver])
            if not found:
                return
            right = self._request(giver, found[0], meant, category, found[0], day)
            wrong = ExchangeRequest(
                **{**right.__dict__, "transfer_id": self._new_id(), "minutes": typed}
            )
            reason = (
                f"Entered as {format_duration(typed)} instead of {format_duration(meant)}; "
                "entered again with the right time."
            )
        else:
            minutes = self.rng.choice(MINUTES[category])
            found = self._receivers(day, minutes, exclude=[giver])
            others = [p for p in givers if p is not giver and (not found or p is not found[0])]
            if not found or not others:
                return
            wrong_giver = others[self.rng.randrange(len(others))]
            right = self._request(giver, found[0], minutes, category, found[0], day)
            wrong = ExchangeRequest(
                **{
                    **right.__dict__,
                    "transfer_id": self._new_id(),
                    "giver_id": wrong_giver.member_id,
                }
            )
            reason = (
                f"Recorded against {wrong_giver.seed.name} by mistake; the help came from "
                f"{giver.seed.name}, entered again."
            )
        self._wrong_then_right(stamp, wrong, right, reason)

    def _wrong_then_right(
        self,
        stamp: dt.datetime,
        wrong: ExchangeRequest,
        right: ExchangeRequest | None,
        reason: str,
    ) -> None:
        if self._record(stamp, wrong) is None:
            return
        fixed = stamp + dt.timedelta(days=self.rng.choice((1, 2)), hours=-10)
        self._schedule(fixed, self._reverse, wrong.transfer_id, reason, right)

    def _reverse(
        self,
        stamp: dt.datetime,
        transfer_id: uuid.UUID,
        reason: str,
        right: ExchangeRequest | None,
    ) -> None:
        try:
            reverse_transfer(
                self.session,
                self.bank_id,
                transfer_id,
                self._new_id(),
                self.broker.member_id,
                reason,
                now=fixed_clock(stamp),
            )
        except LIMIT_ERRORS:
            self.skipped += 1
            return
        if right is not None:
            corrected = ExchangeRequest(
                **{**right.__dict__, "recorded_by_id": self.broker.member_id}
            )
            self._record(stamp + dt.timedelta(minutes=5), corrected)
