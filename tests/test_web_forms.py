"""core.web.forms: a posted form becomes the command's Struct, or Invalid naming every field."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from core.activities.schemas import ActivityIn
from core.courses.schemas import CoursePlanIn, PresentIn
from core.errors import Invalid
from core.web.forms import form_struct
from core.web.i18n import gettext as _


def test_a_form_converts_to_the_same_struct_as_the_api():
    plan = form_struct(
        {
            "_csrf_token": "x",
            "programme": "btb",
            "start": "2027-01-31",
            "count": "3",
            "starts": "10:00",
            "ends": "15:00",
            "capacity": "12",
            "place": "",
            "topics": "Recovery\n\nAt sige nej",
        },
        CoursePlanIn,
    )
    course = plan.course_in(dt.date(2026, 11, 23))
    assert (course.programme, course.capacity, course.number) == ("btb", 12, None)
    assert [(s.day, s.starts, s.topic, s.place) for s in course.sessions] == [
        (dt.date(2027, 1, 31), dt.time(10), "Recovery", ""),
        (dt.date(2027, 2, 28), dt.time(10), "At sige nej", ""),
        (dt.date(2027, 3, 31), dt.time(10), _("Session %(number)d") % {"number": 3}, ""),
    ]


def test_every_field_at_fault_is_named_with_the_forms_message():
    with pytest.raises(Invalid) as caught:
        form_struct(
            {"programme": "", "start": "x", "count": "0", "starts": "10", "ends": "15:00"},
            CoursePlanIn,
            {"count": "count message", "start": "start message"},
        )
    assert sorted(caught.value.errors) == ["capacity", "count", "programme", "start", "starts"]
    assert (caught.value.errors["count"], caught.value.errors["start"]) == (
        "count message",
        "start message",
    )


def test_empty_optional_fields_take_their_defaults_and_lists_convert():
    activity = form_struct(
        {
            "kind": "cafe",
            "title": "Café",
            "first_on": "2027-01-06",
            "starts": "17:00",
            "ends": "19:00",
            "until": "",
            "programme": "",
            "published": False,
        },
        ActivityIn,
    )
    assert (activity.until, activity.programme, activity.recurrence) == (None, None, "none")
    person = uuid.uuid4()
    assert form_struct({"present": [str(person)]}, PresentIn).present == [person]
    with pytest.raises(Invalid) as caught:
        form_struct({"present": ["not-a-uuid"]}, PresentIn, {"present": "Choose"})
    assert caught.value.errors == {"present": "Choose"}
