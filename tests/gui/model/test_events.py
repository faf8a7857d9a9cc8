"""The evented-object kit of the studio model (no Qt)."""

from __future__ import annotations

import pytest

from porestudio.gui.model.events import EmitterGroup, Event


def test_callbacks_get_one_event_in_connection_order():
    source = object()
    group = EmitterGroup(source, ("a", "b"))
    seen = []
    group.a.connect(lambda e: seen.append(("first", e)))
    group.a.connect(lambda e: seen.append(("second", e)))
    group.b.connect(lambda e: seen.append(("b", e)))
    event = group.a(42)
    assert event == Event("a", source, 42)
    assert [name for name, _ in seen] == ["first", "second"]
    assert all(e.value == 42 and e.source is source and e.type == "a" for _, e in seen)


def test_connect_twice_disconnect_and_block():
    group = EmitterGroup(None, ("x",))
    seen = []

    @group.x.connect
    def callback(event):
        seen.append(event.value)

    group.x.connect(callback)
    group.x(1)
    with group.x.blocker():
        assert group.x(2) is None
    with group.blocker_all():
        group.x(3)
    group.x.disconnect(callback)
    group.x(4)
    assert seen == [1]


def test_a_failing_callback_does_not_starve_the_others():
    group = EmitterGroup(None, ("x",))
    seen = []

    def broken(event):
        raise ValueError("broken widget")

    group.x.connect(broken)
    group.x.connect(lambda e: seen.append(e.value))
    with pytest.raises(ValueError, match="broken widget"):
        group.x("v")
    assert seen == ["v"]


def test_unknown_event_name():
    group = EmitterGroup(None, ("x",))
    with pytest.raises(AttributeError, match="no event 'y'"):
        group.y.connect(print)
    assert group.names == ("x",)
