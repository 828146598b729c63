"""Pass rates with Wilson intervals, and agreement between a judge and hand labels."""

from __future__ import annotations

import pytest

from agentnb.evals.stats import Rate, agreement, cohens_kappa, percent, wilson


def test_wilson_matches_the_textbook_interval_for_four_of_five():
    low, high = wilson(4, 5)
    assert (round(low, 3), round(high, 3)) == (0.376, 0.964)


def test_wilson_stays_inside_zero_and_one_at_the_extremes():
    assert wilson(0, 10)[0] == 0.0 and 0 < wilson(0, 10)[1] < 0.35
    assert wilson(10, 10)[1] == 1.0 and 0.65 < wilson(10, 10)[0] < 1
    assert wilson(0, 0) == (0.0, 1.0)


def test_more_runs_narrow_the_interval_around_the_same_rate():
    few, many = Rate(3, 5), Rate(60, 100)
    assert few.value == many.value == 0.6
    assert many.high - many.low < (few.high - few.low) / 3


def test_a_wider_confidence_gives_a_wider_interval():
    assert wilson(5, 10, 0.99)[0] < wilson(5, 10, 0.9)[0]


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError, match="passed <= runs"):
        wilson(6, 5)
    with pytest.raises(ValueError, match="confidence"):
        wilson(1, 2, 1.5)


def test_rates_add_and_read_as_text():
    total = Rate(4, 5) + Rate(1, 5)
    assert (total.passed, total.runs) == (5, 10)
    assert str(Rate(4, 5)) == "4/5 = 80% [38%–96%]"
    assert percent(0.125) == "12%" and percent(1) == "100%"


def test_rates_whose_intervals_do_not_overlap_differ_beyond_noise():
    assert not Rate(1, 20).overlaps(Rate(19, 20))
    assert Rate(3, 5).overlaps(Rate(4, 5))


def test_kappa_is_one_for_perfect_agreement_and_zero_at_chance():
    assert cohens_kappa([True, False, True, False], [True, False, True, False]) == 1.0
    assert cohens_kappa([True, True, False, False], [True, False, True, False]) == 0.0


def test_kappa_discounts_agreement_that_chance_explains():
    human = [True] * 8 + [False] * 2
    judge = [True] * 10  # passes everything
    assert agreement(human, judge) == 0.8
    assert cohens_kappa(human, judge) == 0.0


def test_kappa_of_a_known_table():
    # 20 items: both pass 9, both fail 6, human pass / judge fail 3, human fail / judge pass 2
    human = [True] * 9 + [False] * 6 + [True] * 3 + [False] * 2
    judge = [True] * 9 + [False] * 6 + [False] * 3 + [True] * 2
    # p_o = 0.75; p_e = 0.6 * 0.55 + 0.4 * 0.45 = 0.51; kappa = 0.24 / 0.49
    assert cohens_kappa(human, judge) == pytest.approx(0.24 / 0.49)


def test_raters_must_label_the_same_items():
    with pytest.raises(ValueError, match="different numbers"):
        agreement([True], [True, False])
    with pytest.raises(ValueError, match="at least one"):
        cohens_kappa([], [])
