"""The Thai working calendar (indicators/calendar.py) and effective deadlines.

The holidays of fiscal years BE 2569 and 2570 below are written from the official Thai
calendar (the cabinet's list of government holidays for 2569, with its special day of
2 January; the lunar days from the Thai lunar calendar), not read from the package the
calendar uses.
"""

import datetime

import pytest

from indicators.models import FiscalQuarter, Holiday, working_calendar
from tests.factories import make_fiscal_year

D = datetime.date

# Government offices' days off on weekdays and weekends, 1 Oct 2025 - 30 Sep 2027.
HOLIDAYS_BE_2569 = {
    D(2025, 10, 13): "วันนวมินทรมหาราช",
    D(2025, 10, 23): "วันปิยมหาราช",
    D(2025, 12, 5): "วันพ่อแห่งชาติ",
    D(2025, 12, 10): "วันรัฐธรรมนูญ",
    D(2025, 12, 31): "วันสิ้นปี",
    D(2026, 1, 1): "วันขึ้นปีใหม่",
    D(2026, 1, 2): "วันหยุดพิเศษ (มติ ครม.)",
    D(2026, 3, 3): "วันมาฆบูชา (ขึ้น 15 ค่ำ เดือน 4: ปีอธิกมาส)",
    D(2026, 4, 6): "วันจักรี",
    D(2026, 4, 13): "วันสงกรานต์",
    D(2026, 4, 14): "วันสงกรานต์",
    D(2026, 4, 15): "วันสงกรานต์",
    D(2026, 5, 1): "วันแรงงานแห่งชาติ",
    D(2026, 5, 4): "วันฉัตรมงคล",
    D(2026, 5, 13): "วันพืชมงคล (หยุดราชการ)",
    D(2026, 5, 31): "วันวิสาขบูชา (อาทิตย์)",
    D(2026, 6, 1): "ชดเชยวันวิสาขบูชา",
    D(2026, 6, 3): "วันเฉลิมพระชนมพรรษาสมเด็จพระราชินี",
    D(2026, 7, 28): "วันเฉลิมพระชนมพรรษาพระบาทสมเด็จพระเจ้าอยู่หัว",
    D(2026, 7, 29): "วันอาสาฬหบูชา",
    D(2026, 7, 30): "วันเข้าพรรษา",
    D(2026, 8, 12): "วันแม่แห่งชาติ",
}
HOLIDAYS_BE_2570 = {
    D(2026, 10, 13): "วันนวมินทรมหาราช",
    D(2026, 10, 23): "วันปิยมหาราช",
    D(2026, 12, 5): "วันพ่อแห่งชาติ (เสาร์)",
    D(2026, 12, 7): "ชดเชยวันพ่อแห่งชาติ",
    D(2026, 12, 10): "วันรัฐธรรมนูญ",
    D(2026, 12, 31): "วันสิ้นปี",
    D(2027, 1, 1): "วันขึ้นปีใหม่",
    D(2027, 2, 21): "วันมาฆบูชา (อาทิตย์)",
    D(2027, 2, 22): "ชดเชยวันมาฆบูชา",
    D(2027, 4, 6): "วันจักรี",
    D(2027, 4, 13): "วันสงกรานต์",
    D(2027, 4, 14): "วันสงกรานต์",
    D(2027, 4, 15): "วันสงกรานต์",
    D(2027, 5, 1): "วันแรงงานแห่งชาติ (เสาร์)",
    D(2027, 5, 3): "ชดเชยวันแรงงานแห่งชาติ",
    D(2027, 5, 4): "วันฉัตรมงคล",
    D(2027, 5, 20): "วันวิสาขบูชา",
    D(2027, 6, 3): "วันเฉลิมพระชนมพรรษาสมเด็จพระราชินี",
    D(2027, 7, 18): "วันอาสาฬหบูชา (อาทิตย์)",
    D(2027, 7, 19): "วันเข้าพรรษา",
    # Monday is already Buddhist Lent Day: Asarnha Bucha's substitute is the Tuesday.
    D(2027, 7, 20): "ชดเชยวันอาสาฬหบูชา",
    D(2027, 7, 28): "วันเฉลิมพระชนมพรรษาพระบาทสมเด็จพระเจ้าอยู่หัว",
    D(2027, 8, 12): "วันแม่แห่งชาติ",
    # The Royal Ploughing Ceremony of 2570 is set by the palace each year and was not yet
    # announced: administrators add it as a Holiday (see test_administrators_add_days).
}


def every_day(start, end):
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "official"),
    [
        (D(2025, 10, 1), D(2026, 9, 30), HOLIDAYS_BE_2569),
        (D(2026, 10, 1), D(2027, 9, 30), HOLIDAYS_BE_2570),
    ],
    ids=["BE 2569", "BE 2570"],
)
def test_working_days_of_fiscal_years_2569_and_2570(start, end, official):
    calendar = working_calendar()
    wrong = [
        (day, day.strftime("%a"), official.get(day, ""))
        for day in every_day(start, end)
        if calendar.is_working_day(day) != (day.weekday() < 5 and day not in official)
    ]
    assert wrong == []
    named = calendar.holidays_between(start, end)
    # Every official day off on a weekday is named (substitution days too).
    assert [day for day in official if day.weekday() < 5 and day not in named] == []


@pytest.mark.django_db
def test_songkran_with_substitution_days():
    calendar = working_calendar()
    # 2028: Thursday to Saturday, the Saturday given back on Monday 17 April.
    assert [calendar.is_working_day(D(2028, 4, day)) for day in range(12, 19)] == [
        True,  # Wed 12
        False,  # Thu 13
        False,  # Fri 14
        False,  # Sat 15
        False,  # Sun 16
        False,  # Mon 17: in lieu of Saturday 15
        True,  # Tue 18
    ]
    # BE 2567 as it was: a special day on Friday 12, Songkran Saturday to Monday, one day
    # given back on Tuesday 16 for the weekend (the practice the package follows for 2029 too).
    assert [calendar.is_working_day(D(2024, 4, day)) for day in range(11, 18)] == [
        True,  # Thu 11
        False,  # Fri 12: special holiday (cabinet)
        False,  # Sat 13
        False,  # Sun 14
        False,  # Mon 15
        False,  # Tue 16: in lieu
        True,  # Wed 17
    ]


@pytest.mark.django_db
def test_counting_working_days():
    calendar = working_calendar()
    songkran_deadline = D(2026, 4, 16)  # Thursday after Songkran 2569
    assert calendar.add_working_days(songkran_deadline, -1) == D(2026, 4, 10)
    assert calendar.add_working_days(songkran_deadline, -5) == D(2026, 4, 3)  # Chakri Day skipped
    assert calendar.add_working_days(songkran_deadline, 3) == D(2026, 4, 21)
    assert calendar.add_working_days(songkran_deadline, 0) == songkran_deadline
    assert calendar.add_working_days(D(2026, 4, 11), 1) == D(2026, 4, 16)  # from a Saturday
    assert calendar.next_working_day(D(2026, 4, 10)) == D(2026, 4, 10)
    assert calendar.next_working_day(D(2026, 4, 11)) == D(2026, 4, 16)
    # Submitted Thursday 9 April, waited on Monday 20: Fri 10, Thu 16, Fri 17, Mon 20.
    assert calendar.working_days_after(D(2026, 4, 9), D(2026, 4, 20)) == 4
    assert calendar.working_days_after(D(2026, 4, 20), D(2026, 4, 9)) == 0


@pytest.mark.django_db
def test_administrators_add_days_and_working_days():
    Holiday.objects.create(date=D(2027, 5, 12), name="วันพืชมงคล", kind=Holiday.Kind.SPECIAL)
    Holiday.objects.create(date=D(2027, 3, 8), name="ปิดสำนักงานเขต", kind=Holiday.Kind.CLOSURE)
    Holiday.objects.create(date=D(2027, 5, 3), name="ทำงานชดเชย", kind=Holiday.Kind.WORKING_DAY)
    calendar = working_calendar()
    assert not calendar.is_working_day(D(2027, 5, 12))
    assert calendar.holiday_name(D(2027, 5, 12)) == "วันพืชมงคล"
    assert not calendar.is_working_day(D(2027, 3, 8))
    assert calendar.is_working_day(D(2027, 5, 3))  # the package's substitution day, overruled
    assert calendar.holiday_name(D(2027, 5, 3)) == ""


@pytest.mark.django_db
def test_a_calendar_reads_each_years_rows_once(django_assert_num_queries):
    calendar = working_calendar()
    with django_assert_num_queries(2):  # 2026 and 2027
        for day in every_day(D(2026, 12, 1), D(2027, 2, 1)):
            calendar.is_working_day(day)
        calendar.add_working_days(D(2027, 1, 20), -30)


@pytest.mark.django_db
@pytest.mark.parametrize(("move", "effective"), [(True, D(2026, 4, 16)), (False, D(2026, 4, 15))])
def test_effective_deadline_on_a_holiday(move, effective):
    year = make_fiscal_year(2569, move_due_date_to_working_day=move)
    period = FiscalQuarter.objects.create(fiscal_year=year, quarter=2, due_date=D(2026, 4, 15))
    assert period.effective_due_date == effective
    period.refresh_from_db()
    assert period.effective_due_date == effective


@pytest.mark.django_db
def test_the_years_setting_and_holidays_move_effective_deadlines():
    year = make_fiscal_year(2570)
    period = FiscalQuarter.objects.create(fiscal_year=year, quarter=1, due_date="2027-01-15")  # a Friday
    assert period.effective_due_date == D(2027, 1, 15)

    closure = Holiday.objects.create(date=D(2027, 1, 15), name="ปิดสำนักงาน", kind=Holiday.Kind.CLOSURE)
    period.refresh_from_db()
    assert period.effective_due_date == D(2027, 1, 15)  # the year does not move deadlines

    year.move_due_date_to_working_day = True
    year.save()
    period.refresh_from_db()
    assert period.effective_due_date == D(2027, 1, 18)  # Monday

    closure.date = D(2027, 1, 14)
    closure.save()  # moved away: the old day is a working day again
    period.refresh_from_db()
    assert period.effective_due_date == D(2027, 1, 15)

    Holiday.objects.create(date=D(2027, 1, 15), name="วันหยุดพิเศษ", kind=Holiday.Kind.SPECIAL)
    period.refresh_from_db()
    assert period.effective_due_date == D(2027, 1, 18)
    Holiday.objects.get(date=D(2027, 1, 15)).delete()
    period.refresh_from_db()
    assert period.effective_due_date == D(2027, 1, 15)
    # Each move is in the quarter's history.
    assert list(period.history.order_by("history_id").values_list("effective_due_date", flat=True)) == [
        D(2027, 1, 15),
        D(2027, 1, 18),
        D(2027, 1, 15),
        D(2027, 1, 18),
        D(2027, 1, 15),
    ]


@pytest.mark.django_db
def test_administrators_add_and_remove_holidays_in_the_admin(admin_client):
    from django.urls import reverse

    year = make_fiscal_year(2570, move_due_date_to_working_day=True)
    period = FiscalQuarter.objects.create(fiscal_year=year, quarter=1, due_date=D(2027, 1, 15))
    response = admin_client.post(
        reverse("admin:indicators_holiday_add"),
        {"date": "2027-01-15", "name": "ปิดสำนักงาน", "kind": "closure"},
    )
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.effective_due_date == D(2027, 1, 18)
    holiday = Holiday.objects.get()
    assert holiday.history.get().history_user.is_superuser  # who added it
    response = admin_client.post(
        reverse("admin:indicators_holiday_changelist"),
        {"action": "delete_selected", "_selected_action": [holiday.pk], "post": "yes"},
    )
    assert response.status_code == 302 and not Holiday.objects.exists()
    period.refresh_from_db()
    assert period.effective_due_date == D(2027, 1, 15)
