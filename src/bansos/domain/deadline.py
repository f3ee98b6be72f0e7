"""The province's submission deadline for a month: ``deadline_day`` of the following month, end of day.

A kab/kota extract for 2022-03 is due by the end of 2022-04-10 (Kepri: deadline_day 10) in the
province's time zone. Before then a missing extract is only late; after it, it is missing and
alerted.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bansos.domain.config import Province


def deadline_for(province: Province, periode: str) -> datetime:
    year, month = int(periode[:4]), int(periode[5:7])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = min(province.deadline_day, calendar.monthrange(year, month)[1])  # day 31 in February: the 28th/29th
    start_of_day = datetime(year, month, day, tzinfo=ZoneInfo(province.timezone))
    return start_of_day + timedelta(days=1) - timedelta(microseconds=1)


def passed(deadline: datetime, now: datetime | None = None) -> bool:
    return (now or datetime.now(tz=deadline.tzinfo)) > deadline
