"""Working hours: parsing, ranges across midnight and across the week's end, time zones and
daylight-saving changes (zoneinfo), and the next opening time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from nura_appliance.errors import ConfigError
from nura_appliance.handoff.business_hours import BusinessHours, Interval, parse_business_hours

BAGHDAD = ZoneInfo("Asia/Baghdad")


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def test_parse_days_ranges_and_lists():
    assert parse_business_hours("") is None
    assert parse_business_hours(" always ") is None
    assert parse_business_hours("24/7") is None
    assert parse_business_hours("fri 14:00-20:00") == [Interval(4, 840, 1200)]
    # sat-thu wraps over the end of the week: sat, sun, mon, tue, wed, thu.
    assert [i.weekday for i in parse_business_hours("sat-thu 08:00-22:00")] == [5, 6, 0, 1, 2, 3]
    two = parse_business_hours("Monday,wed 08:00-12:00 13:00-17:00; sun 20:00-24:00")
    assert set(two) == {
        Interval(0, 480, 720),
        Interval(0, 780, 1020),
        Interval(2, 480, 720),
        Interval(2, 780, 1020),
        Interval(6, 1200, 1440),
    }
    assert parse_business_hours("fri 22:00-02:00") == [Interval(4, 1320, 1560)]


@pytest.mark.parametrize(
    "spec",
    [
        "xyz 08:00-10:00",
        "sat 25:00-26:00",
        "sat 08:00",
        "sat 8-10",
        "sat 08:60-10:00",
        "sat 24:00-02:00",
        "sat-fun 08:00-10:00",
        "08:00-10:00",
    ],
)
def test_malformed_hours_are_config_errors(spec):
    with pytest.raises(ConfigError):
        parse_business_hours(spec)


def test_unknown_time_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="BUSINESS_TIMEZONE"):
        BusinessHours("sat-thu 08:00-22:00", "Mars/Olympus")


def test_default_week_in_baghdad():
    hours = BusinessHours("sat-thu 08:00-22:00", "Asia/Baghdad")
    thursday = at(BAGHDAD, 2026, 11, 26, 21, 59)
    assert thursday.weekday() == 3
    assert hours.is_open(thursday)
    assert not hours.is_open(at(BAGHDAD, 2026, 11, 26, 22, 0))
    assert not hours.is_open(at(BAGHDAD, 2026, 11, 27, 12, 0))  # Friday
    assert not hours.is_open(at(BAGHDAD, 2026, 11, 28, 7, 59))
    assert hours.is_open(at(BAGHDAD, 2026, 11, 28, 8, 0))  # Saturday
    # The same instant given in UTC: 05:00 UTC is 08:00 in Baghdad (UTC+3).
    assert hours.is_open(datetime(2026, 11, 28, 5, 0, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 28, 4, 59, tzinfo=UTC))
    # UNIX timestamps work too; naive datetimes are refused rather than guessed.
    assert hours.is_open(at(BAGHDAD, 2026, 11, 28, 9, 0).timestamp())
    with pytest.raises(ValueError):
        hours.is_open(datetime(2026, 11, 28, 9, 0))


def test_range_across_midnight_and_across_the_week():
    hours = BusinessHours("fri 22:00-02:00; sun 23:00-01:00", "Asia/Baghdad")
    assert not hours.is_open(at(BAGHDAD, 2026, 11, 27, 21, 59))
    assert hours.is_open(at(BAGHDAD, 2026, 11, 27, 22, 0))
    assert hours.is_open(at(BAGHDAD, 2026, 11, 27, 23, 59))
    assert hours.is_open(at(BAGHDAD, 2026, 11, 28, 0, 0))  # Saturday, still Friday's shift
    assert hours.is_open(at(BAGHDAD, 2026, 11, 28, 1, 59))
    assert not hours.is_open(at(BAGHDAD, 2026, 11, 28, 2, 0))
    assert not hours.is_open(at(BAGHDAD, 2026, 11, 26, 1, 0))  # Thursday night: Wednesday has no shift
    # Sunday's shift runs into Monday (weekday 6 → 0).
    assert hours.is_open(at(BAGHDAD, 2026, 11, 29, 23, 30))
    assert hours.is_open(at(BAGHDAD, 2026, 11, 30, 0, 30))
    assert not hours.is_open(at(BAGHDAD, 2026, 11, 30, 1, 0))


def test_time_zones_and_daylight_saving():
    new_york = BusinessHours("mon-fri 09:00-17:00", "America/New_York")
    tokyo = BusinessHours("mon-fri 09:00-17:00", "Asia/Tokyo")
    instant = datetime(2026, 3, 9, 13, 30, tzinfo=UTC)  # Monday
    # New York switched to EDT (UTC-4) on 8 March: 13:30 UTC is 09:30 local, open.
    assert new_york.is_open(instant)
    # The Friday before, still EST (UTC-5): 13:30 UTC is 08:30 local, closed.
    assert not new_york.is_open(datetime(2026, 3, 6, 13, 30, tzinfo=UTC))
    # Tokyo at that instant is 22:30 on Monday: closed.
    assert not tokyo.is_open(instant)
    assert tokyo.is_open(datetime(2026, 3, 9, 1, 0, tzinfo=UTC))  # 10:00 in Tokyo


def test_next_open():
    hours = BusinessHours("sat-thu 08:00-22:00", "Asia/Baghdad")
    friday_noon = at(BAGHDAD, 2026, 11, 27, 12, 0)
    assert hours.next_open(friday_noon) == at(BAGHDAD, 2026, 11, 28, 8, 0)
    open_now = at(BAGHDAD, 2026, 11, 28, 9, 0)
    assert hours.next_open(open_now) == open_now
    # Across a daylight-saving change the wall-clock opening time stays 09:00.
    new_york = BusinessHours("mon 09:00-17:00", "America/New_York")
    nxt = new_york.next_open(datetime(2026, 3, 7, 12, 0, tzinfo=UTC))
    assert nxt is not None and (nxt.hour, nxt.utcoffset().total_seconds()) == (9, -4 * 3600)
    assert BusinessHours("", "UTC").next_open(friday_noon) == friday_noon
    assert BusinessHours("", "UTC").describe() == {"spec": "always", "timezone": "UTC", "always_open": True}
