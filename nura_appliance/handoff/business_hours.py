"""Working hours: when a person can take over a conversation.

``BUSINESS_HOURS`` is a list of ``<days> <ranges>`` parts separated by ``;``:

* days: one day (``fri``), a range that may wrap around the week (``sat-thu``), or a comma
  list (``sat,mon``); English three-letter names or full names;
* ranges: one or more ``HH:MM-HH:MM`` separated by spaces; an end at or before the start
  runs past midnight into the next day (``fri 22:00-02:00`` is open Friday night until 2 am on
  Saturday); ``24:00`` is the end of the day.

An empty value, ``always`` or ``24/7`` means always open. Times are wall-clock times in
``BUSINESS_TIMEZONE`` (an IANA name such as ``Asia/Baghdad``), so daylight-saving changes are
handled by zoneinfo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nura_appliance.errors import ConfigError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = {
    name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_ALWAYS = {"", "always", "24/7", "24x7"}


@dataclass(frozen=True)
class Interval:
    """Open from ``start`` to ``end`` minutes after midnight of ``weekday`` (end may pass 1440)."""

    weekday: int
    start: int
    end: int


def _day(name: str) -> int:
    key = name.strip().lower()
    if key in DAY_NAMES:
        return DAY_NAMES.index(key)
    if key in _FULL:
        return _FULL[key]
    raise ConfigError(f"BUSINESS_HOURS: unknown day {name!r} (use mon, tue, wed, thu, fri, sat, sun)")


def _days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        if "-" in part:
            first, last = (_day(p) for p in part.split("-", 1))
            span = (last - first) % 7
            days.extend((first + i) % 7 for i in range(span + 1))
        else:
            days.append(_day(part))
    return days


def _minutes(hours: str, minutes: str, text: str) -> int:
    h, m = int(hours), int(minutes)
    if h > 24 or m > 59 or (h == 24 and m):
        raise ConfigError(f"BUSINESS_HOURS: bad time in {text!r}")
    return h * 60 + m


def parse_business_hours(spec: str) -> list[Interval] | None:
    """The open intervals of ``spec``; ``None`` means always open. Raises ConfigError when malformed."""
    if spec.strip().lower() in _ALWAYS:
        return None
    intervals: list[Interval] = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        words = part.split()
        if len(words) < 2:
            raise ConfigError(f"BUSINESS_HOURS: {part!r} needs days and at least one HH:MM-HH:MM range")
        days = _days(words[0])
        for text in words[1:]:
            match = _RANGE.match(text)
            if not match:
                raise ConfigError(f"BUSINESS_HOURS: {text!r} is not a HH:MM-HH:MM range")
            start = _minutes(match[1], match[2], text)
            end = _minutes(match[3], match[4], text)
            if start == 1440:
                raise ConfigError(f"BUSINESS_HOURS: {text!r} starts at the end of the day")
            if end <= start:
                end += 1440  # runs past midnight into the next day
            intervals.extend(Interval(day, start, end) for day in days)
    return intervals


def load_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"BUSINESS_TIMEZONE: unknown time zone {name!r}") from None


class BusinessHours:
    """Answers "is support open at this moment?" and "when does it open next?"."""

    def __init__(self, spec: str, zone: str) -> None:
        self.spec = spec
        self.zone = load_zone(zone)
        self.intervals = parse_business_hours(spec)

    @property
    def always_open(self) -> bool:
        return self.intervals is None

    def _local(self, at: datetime | float | None) -> datetime:
        if at is None:
            at = datetime.now(UTC)
        elif isinstance(at, int | float):
            at = datetime.fromtimestamp(at, UTC)
        elif at.tzinfo is None:
            raise ValueError("pass an aware datetime (or a UNIX timestamp)")
        return at.astimezone(self.zone)

    def is_open(self, at: datetime | float | None = None) -> bool:
        """Whether ``at`` (default: now) falls inside working hours."""
        if self.intervals is None:
            return True
        local = self._local(at)
        minute = local.hour * 60 + local.minute
        today = local.weekday()
        yesterday = (today - 1) % 7
        for interval in self.intervals:
            if interval.weekday == today and interval.start <= minute < interval.end:
                return True
            # Yesterday's range that runs past midnight covers the early hours of today.
            if interval.weekday == yesterday and interval.end > 1440 and minute < interval.end - 1440:
                return True
        return False

    def next_open(self, at: datetime | float | None = None) -> datetime | None:
        """The next moment support opens, in the business time zone; now when it is open, None if never."""
        if self.intervals is None:
            return self._local(at)
        local = self._local(at)
        if self.is_open(local):
            return local
        best: datetime | None = None
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        for offset in range(8):
            day = midnight + timedelta(days=offset)
            for interval in self.intervals:
                if interval.weekday != day.weekday():
                    continue
                # Build the wall-clock time in the zone so that DST shifts are applied correctly.
                start = (day + timedelta(minutes=interval.start)).replace(tzinfo=self.zone)
                if start > local and (best is None or start < best):
                    best = start
        return best

    def describe(self) -> dict[str, object]:
        """The public shape used by the widget config."""
        return {"spec": self.spec or "always", "timezone": self.zone.key, "always_open": self.always_open}
