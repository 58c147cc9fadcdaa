from __future__ import annotations

import pytest

from netrun.ratelimit import InvalidRateError, Rate, parse_rate


@pytest.mark.parametrize(
    ("text", "limit", "period"),
    [
        ("100/m", 100, 60.0),
        ("10000/h", 10000, 3600.0),
        ("5/s", 5, 1.0),
        ("7/d", 7, 86400.0),
        ("5/10s", 5, 10.0),
        ("60/min", 60, 60.0),
        ("1000/hour", 1000, 3600.0),
        ("3/days", 3, 86400.0),
        (" 2 / 15m ", 2, 900.0),
        ("10/M", 10, 60.0),
    ],
)
def test_parse_rate_accepts_django_ratelimit_and_drf_spellings(
    text: str, limit: int, period: float
) -> None:
    assert parse_rate(text) == Rate(limit, period)


@pytest.mark.parametrize(
    "text", ["", "100", "m/100", "100/", "100/fortnight", "0/m", "5/0s", "-1/m"]
)
def test_bad_rate_strings_raise_an_error_naming_the_string(text: str) -> None:
    with pytest.raises(InvalidRateError) as info:
        parse_rate(text)
    assert repr(text) in str(info.value)
    assert "'100/m'" in str(info.value)  # and shows the expected format


def test_a_rate_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidRateError, match="not int"):
        parse_rate(100)  # type: ignore[arg-type]


def test_rate_objects_pass_through_and_validate_themselves() -> None:
    rate = Rate(3, 1.5)
    assert parse_rate(rate) is rate
    assert str(rate) == "3/1.5s"
    with pytest.raises(InvalidRateError):
        Rate(0, 1.0)
    with pytest.raises(InvalidRateError):
        Rate(1, 0.0)
