"""Counts of people protected for funders, exact for others; the value estimate; middle values."""

from __future__ import annotations

from collections import Counter

import pytest

from timebank.errors import InvalidInput
from timebank.reports.networks import band_counts, median_of
from timebank.reports.scratch import median
from timebank.reports.suppression import Guard, possible_values, protect_count
from timebank.reports.tables import SUPPRESSED
from timebank.reports.value import estimated_pence


def test_funders_see_zero_as_it_is_one_to_seven_hidden_and_the_rest_rounded_to_5():
    assert protect_count(0) == 0
    assert [protect_count(n) for n in range(1, 8)] == [SUPPRESSED] * 7
    assert [protect_count(n) for n in (8, 10, 12, 13, 17, 18, 102, 103)] == [
        10, 10, 10, 15, 15, 20, 100, 105,
    ]  # fmt: skip
    assert protect_count(None) is None  # not known yet stays so


@pytest.mark.parametrize("audience", ["broker", "practice"])
def test_brokers_and_a_practice_see_every_count_exactly(audience):
    guard = Guard(audience)
    assert [guard.count(n) for n in (0, 1, 4, 5, 7)] == [0, 1, 4, 5, 7]
    assert not guard.hides_small_numbers


def test_hours_money_and_days_worked_out_from_a_few_people_are_never_hidden():
    funder = Guard("funder")
    assert funder.hides_small_numbers
    assert funder.derived(480, 1) == 480  # 8 hours from one exchange
    assert funder.derived(11.0, 1) == 11.0  # 11 days


def test_possible_values_are_exactly_the_counts_that_show_that_way():
    for shown in {protect_count(n) for n in range(0, 390)}:
        expected = [n for n in range(0, 400) if protect_count(n) == shown]
        assert list(possible_values(shown)) == expected, shown


def test_a_total_minus_one_part_never_gives_the_other_part_exactly():
    """The lemma in docs/reports.md, checked for every pair of parts up to 150."""
    for a in range(0, 151):
        for b in range(0, 151):
            whole, part = possible_values(protect_count(a + b)), possible_values(protect_count(b))
            own = possible_values(protect_count(a))
            low = max(own[0], whole[0] - part[-1])
            high = min(own[-1], whole[-1] - part[0])
            assert low <= a <= high
            if a:  # zero is shown as it is: nobody to find
                assert high > low, (a, b)


def test_a_period_minus_a_period_inside_it_never_gives_the_rest_exactly():
    """The same lemma for two reports: the rest need not be shown anywhere."""
    for longer in range(0, 301):
        for shorter in range(0, longer + 1):
            whole = possible_values(protect_count(longer))
            part = possible_values(protect_count(shorter))
            low, high = max(0, whole[0] - part[-1]), whole[-1] - part[0]
            assert low <= longer - shorter <= high
            assert high > low or longer == 0, (longer, shorter)


def test_an_unknown_audience_is_refused_in_words():
    with pytest.raises(InvalidInput, match="brokers, funders or a GP practice"):
        Guard("press")


def test_value_is_minutes_times_the_hourly_rate_to_the_nearest_penny():
    assert estimated_pence(60, 1390) == 1390
    assert estimated_pence(90, 1390) == 2085
    assert estimated_pence(1, 1390) == 23  # 23.17p
    assert estimated_pence(0, 1390) == 0


def test_middle_value_of_an_even_count_is_the_mean_of_the_middle_two():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert median([]) is None


def test_circle_sizes_fall_into_their_bands_and_give_a_middle_value():
    sizes = Counter({1: 3, 2: 1, 3: 1, 4: 2, 10: 1, 11: 1, 40: 1})
    assert band_counts(sizes) == [
        ("1", 3),
        ("2 to 3", 2),
        ("4 to 6", 2),
        ("7 to 10", 1),
        ("11 or more", 2),
    ]
    # 1 1 1 2 3 4 4 10 11 40: the middle two are 3 and 4.
    assert median_of(sizes) == 3.5
