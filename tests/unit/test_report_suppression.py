"""Small numbers hidden from funders and practices; the value estimate; middle values."""

from __future__ import annotations

from collections import Counter

import pytest

from timebank.errors import InvalidInput
from timebank.reports.networks import band_counts, median_of
from timebank.reports.scratch import median
from timebank.reports.suppression import Guard
from timebank.reports.tables import SUPPRESSED
from timebank.reports.value import estimated_pence


@pytest.mark.parametrize("audience", ["funder", "practice"])
def test_outside_reports_hide_counts_of_one_to_four_and_show_zero_and_five(audience):
    guard = Guard(audience)
    assert guard.count(0) == 0
    assert [guard.count(n) for n in (1, 2, 3, 4)] == [SUPPRESSED] * 4
    assert guard.count(5) == 5


def test_brokers_see_every_count():
    assert [Guard("broker").count(n) for n in (0, 1, 4, 5)] == [0, 1, 4, 5]


def test_a_figure_worked_out_from_fewer_than_five_people_is_hidden_outside():
    funder = Guard("funder")
    assert funder.derived(12.5, 4) is SUPPRESSED
    assert funder.derived(12.5, 5) == 12.5
    assert funder.derived(None, 3) is None  # nothing to hide: there is no figure
    assert funder.derived(0, 0) == 0
    assert Guard("broker").derived(12.5, 1) == 12.5


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
