"""The submission deadline: deadline_day of the next month, end of day, province time; clamped to the month."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from bansos.domain.config import load_province
from bansos.domain.deadline import deadline_for, passed

JAKARTA = ZoneInfo("Asia/Jakarta")


def test_deadline_is_the_end_of_deadline_day_of_the_next_month():
    deadline = deadline_for(load_province("21"), "2022-03")
    assert deadline.tzinfo == JAKARTA
    assert (deadline.year, deadline.month, deadline.day, deadline.hour, deadline.minute) == (2022, 4, 10, 23, 59)


def test_december_is_due_in_january_and_day_31_is_clamped():
    province = dataclasses.replace(load_province("21"), deadline_day=31)
    assert deadline_for(province, "2022-12").date().isoformat() == "2023-01-31"
    assert deadline_for(province, "2024-01").date().isoformat() == "2024-02-29"


def test_passed_compares_in_the_province_time_zone():
    deadline = deadline_for(load_province("21"), "2022-03")
    assert not passed(deadline, datetime(2022, 4, 10, 23, 0, tzinfo=JAKARTA))
    assert passed(deadline, datetime(2022, 4, 10, 17, 30, tzinfo=ZoneInfo("UTC")))  # 00:30 WIB on the 11th
