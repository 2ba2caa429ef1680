"""The one percentile: the same figures as numpy's default for the same values."""

from __future__ import annotations

import random

import numpy as np
import pytest

from landport.shared.stats import percentile


def test_percentiles_agree_with_numpy_on_random_samples() -> None:
    draw = random.Random(11)
    for size in (1, 2, 3, 10, 101, 1000):
        values = [draw.uniform(0, 500) for _ in range(size)]
        for q in (0, 1, 50, 90, 95, 99, 100):
            assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_small_cases_read_as_a_person_would_compute_them() -> None:
    assert percentile([], 50) is None
    assert percentile([4.0], 90) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5  # between the two middle values
    assert percentile(iter([3.0, 1.0, 2.0]), 100) == 3.0  # any iterable, unordered


def test_a_q_outside_0_to_100_is_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], 150)
