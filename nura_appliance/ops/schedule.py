"""When scheduled backups run: ``BACKUP_SCHEDULE`` in the business time zone.

Two forms are accepted:

* **daily times**: ``03:00`` or several, ``03:00, 15:30`` (24-hour ``HH:MM``, every day);
* **cron**: five fields, ``minute hour day-of-month month day-of-week`` (``0 3 * * *``,
  ``30 2 * * sat``, ``0 */6 * * *``), read by the ``croniter`` library.

An empty value or ``off`` turns scheduled backups off. Times are wall-clock times in
``BUSINESS_TIMEZONE``, so a daylight-saving change moves nothing: ``03:00`` stays 03:00 local
time (a daily time the spring-forward change skips runs an hour later that day, 02:30 at 03:30;
one that happens twice when the clocks go back runs once, at its first occurrence). Cron lines
follow croniter's rules there: a skipped time runs right after the gap, a repeated one twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from nura_appliance.errors import ConfigError
from nura_appliance.handoff.business_hours import load_zone

_OFF = {"", "off", "none", "disabled"}
_DAILY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# How far back :meth:`BackupSchedule.latest_between` looks at most (a server down longer than
# this still runs one backup at start, found from the last slot before now).
_LOOKBACK = timedelta(days=400)


@dataclass(frozen=True)
class BackupSchedule:
    """A parsed ``BACKUP_SCHEDULE``; times in and out are UNIX seconds."""

    text: str
    zone: ZoneInfo
    daily: tuple[tuple[int, int], ...] = ()
    cron: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.daily or self.cron)

    def next_after(self, at: float) -> float | None:
        """The first run strictly after ``at`` (None when off)."""
        if not self.enabled:
            return None
        moment = datetime.fromtimestamp(at, self.zone)
        if self.cron:
            return float(croniter(self.cron, moment).get_next(float))
        found: list[float] = []
        for offset in range(3):  # today, tomorrow, the day after (a skipped DST hour)
            day = (moment + timedelta(days=offset)).date()
            for hour, minute in self.daily:
                slot = _local(day.year, day.month, day.day, hour, minute, self.zone)
                if slot > at:
                    found.append(slot)
            if found:
                return min(found)
        return None

    def latest_at_or_before(self, at: float) -> float | None:
        """The last run time at or before ``at`` (None when off, or none within about a year)."""
        if not self.enabled:
            return None
        moment = datetime.fromtimestamp(at, self.zone)
        if self.cron:
            # get_prev is strictly before its start: start one second later to include ``at``.
            previous = float(croniter(self.cron, moment + timedelta(seconds=1)).get_prev(float))
            return previous if at - previous <= _LOOKBACK.total_seconds() else None
        found: list[float] = []
        for offset in range(3):
            day = (moment - timedelta(days=offset)).date()
            for hour, minute in self.daily:
                slot = _local(day.year, day.month, day.day, hour, minute, self.zone)
                if slot <= at:
                    found.append(slot)
            if found:
                return max(found)
        return None

    def latest_between(self, after: float, until: float) -> float | None:
        """The last run time in ``(after, until]``: the one run owed for that stretch, if any."""
        latest = self.latest_at_or_before(until)
        return latest if latest is not None and latest > after else None

    def describe(self) -> str:
        if self.cron:
            return f"cron {self.cron} ({self.zone.key})"
        if self.daily:
            return "daily at " + ", ".join(f"{h:02d}:{m:02d}" for h, m in self.daily) + f" ({self.zone.key})"
        return "off"


def _local(year: int, month: int, day: int, hour: int, minute: int, zone: ZoneInfo) -> float:
    """UNIX time of a wall-clock time in ``zone`` (fold 0: a time the spring-forward change skips
    is read with the offset before it, an hour later on the new clock; a repeated time is its
    first occurrence)."""
    wall = datetime(year, month, day, hour, minute, tzinfo=zone)
    return wall.timestamp()


def parse_schedule(text: str, zone: str) -> BackupSchedule:
    """Parse ``BACKUP_SCHEDULE`` (see the module docstring).

    Raises:
        ConfigError: a value that is neither off, daily times nor a valid five-field cron line.
    """
    raw = (text or "").strip()
    tz = load_zone(zone)
    if raw.lower() in _OFF:
        return BackupSchedule(raw, tz)
    parts = [p.strip() for p in raw.split(",")]
    if all(_DAILY.match(p) for p in parts):
        times = sorted({(int(m.group(1)), int(m.group(2))) for p in parts if (m := _DAILY.match(p))})
        return BackupSchedule(raw, tz, daily=tuple(times))
    fields = raw.split()
    if len(fields) == 5 and croniter.is_valid(raw):
        return BackupSchedule(raw, tz, cron=" ".join(fields))
    raise ConfigError(
        f"BACKUP_SCHEDULE: {raw!r} is neither daily times like 03:00 (or 03:00, 15:30) nor a five-field cron"
        " line like '0 3 * * *'; use 'off' to turn scheduled backups off"
    )
