"""Templates: escaping by kind, strict values with their names, message formats, and
hostile templates that must fail cleanly within the limits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracsh.delivery.sandbox import TemplateLimits
from tracsh.delivery.templates import TemplateFailure, Templates

CONTEXT = {
    "profile": {
        "id": "p1",
        "pii": {"first_name": "<Ann & Bob>", "email": "ann@example.com"},
        "traits": {"items": ["a", "b"], "keys": 3, "tier": "vip"},
        "counters": {"purchases": 2},
    },
    "event": {"type": "purchase", "properties": {"order_id": "ORD-1", "total": 9.5}},
    "session": {"id": "s1"},
    "coupon": "TEN",
}


@pytest.fixture
def templates(tmp_path) -> Templates:
    return Templates(tmp_path, TemplateLimits(seconds=0.5, characters=20_000))


def write(templates: Templates, name: str, text: str) -> None:
    path = Path(templates.directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def failure(call) -> str:
    with pytest.raises(TemplateFailure) as caught:
        call()
    return str(caught.value)


# --- values, escaping and strictness ------------------------------------------


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("{{ profile.pii.first_name }}", "<Ann & Bob>"),
        ("{{ profile.traits['items'] | join(',') }}", "a,b"),
        ("{{ profile.traits.items | join(',') }}", "a,b"),
        ("{{ profile.traits.keys }}", "3"),
        ("{{ profile.traits | dictsort | length }}", "3"),
        ("{{ profile.pii.last_name | default('friend') }}", "friend"),
        ("{% if profile.pii.phone is defined %}x{% else %}y{% endif %}", "y"),
        ("{{ coupon }} {{ event.properties.order_id }}", "TEN ORD-1"),
        ("{{ '%.2f' | format(event.properties.total) }}", "9.50"),
        ("{{ profile.pii.email.upper() }}", "ANN@EXAMPLE.COM"),
        (
            "{% for k, v in profile.counters | items %}{{ k }}={{ v }}{% endfor %}",
            "purchases=2",
        ),
    ],
)
def test_values_in_text(templates, source, text):
    assert templates.render_text(source, CONTEXT) == text


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Hi {{ profile.pii.frist_name }}", "profile.pii.frist_name is missing"),
        ("Hi {{ fist_name }}", "fist_name is missing"),
        (
            "{{ event.properties['order id'] }}",
            "event.properties['order id'] is missing",
        ),
        (
            "line one\n{{ profile.traits.items[5] }}",
            "profile.traits.items[5] is missing",
        ),
        ("{% if profile.pii.phone %}x{% endif %}", "profile.pii.phone is missing"),
    ],
)
def test_a_missing_value_fails_with_its_name(templates, source, message):
    found = failure(lambda: templates.render_text(source, CONTEXT))
    line = source.count("\n") + 1
    assert found == (
        f"<template>:{line}: {message} (use default(...) where it may be absent)"
    )


def test_html_templates_escape_and_text_templates_do_not(templates):
    write(
        templates,
        "hi.email.j2",
        "subject: Hi {{ profile.pii.first_name }}\n\nHi {{ profile.pii.first_name }}\n",
    )
    write(templates, "hi.email.html.j2", "<p>{{ profile.pii.first_name }}</p>")

    message = templates.render_message("email", "hi", CONTEXT)

    assert message == {
        "subject": "Hi <Ann & Bob>",
        "text": "Hi <Ann & Bob>",
        "html": "<p>&lt;Ann &amp; Bob&gt;</p>",
    }


def test_json_templates_encode_every_value(templates):
    write(
        templates,
        "body.json.j2",
        '{"name": {{ profile.pii.first_name }}, '
        '"total": {{ event.properties.total }}, "traits": {{ profile.traits }}}',
    )

    assert templates.render_json("body.json.j2", CONTEXT) == {
        "name": "<Ann & Bob>",
        "total": 9.5,
        "traits": CONTEXT["profile"]["traits"],
    }


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(value=JSON)
def test_any_value_round_trips_through_a_json_template(tmp_path_factory, value):
    templates = Templates(tmp_path_factory.mktemp("json"))
    write(templates, "v.json.j2", '{"v": {{ v }}, "list": [{{ v }}]}')
    assert templates.render_json("v.json.j2", {"v": value}) == {
        "v": value,
        "list": [value],
    }


def test_a_json_template_that_makes_no_json_says_how_to_write_it(templates):
    write(templates, "bad.json.j2", '{"text": "Hi {{ profile.pii.first_name }}"}')

    assert failure(lambda: templates.render_json("bad.json.j2", CONTEXT)) == (
        "bad.json.j2:1: the template did not make JSON: Expecting ',' delimiter "
        "(write values as {{ value }} outside quotes; they are encoded)"
    )


def test_url_templates_percent_encode_values(templates):
    url = templates.render_url(
        "https://lookup.example.test/{{ profile.pii.email }}?q={{ coupon }}",
        {**CONTEXT, "coupon": "a b&c/d"},
    )
    assert url == "https://lookup.example.test/ann%40example.com?q=a%20b%26c%2Fd"


# --- message formats ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "source", "expected"),
    [
        ("email", "subject: A  b\n\nbody\n", {"subject": "A b", "text": "body"}),
        ("email", "Subject: x\nbody", {"subject": "x", "text": "body"}),
        ("push", "title: Cart\nStill there", {"title": "Cart", "text": "Still there"}),
        ("push", "Still there\n", {"text": "Still there"}),
        ("sms", "subject: not a header\n", {"text": "subject: not a header"}),
    ],
)
def test_message_formats(templates, channel, source, expected):
    write(templates, f"m.{channel}.j2", source)
    assert templates.render_message(channel, "m", CONTEXT) == expected


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "m.email.j2: no such template in {dir}"),
        (
            {"m.email.j2": "Hello\n"},
            "m.email.j2:1: an email template starts with a 'subject: …' line",
        ),
        ({"m.email.j2": "subject:   \nbody"}, "m.email.j2:1: the subject is empty"),
        (
            {"m.email.j2": "subject: x\n\n{% for x in y %}\n"},
            "m.email.j2:3: template syntax error: Unexpected end of template. Jinja "
            "was looking for the following tags: 'endfor' or 'else'. The innermost "
            "block that needs to be closed is 'for'.",
        ),
        (
            {"m.email.j2": "subject: x\n{% include 'nope.j2' %}"},
            "m.email.j2:2: no template called 'nope.j2' in the templates directory",
        ),
        (
            {"m.email.j2": "subject: x\n{% include '../../etc/passwd' %}"},
            "m.email.j2:2: no template called '../../etc/passwd' in the templates "
            "directory",
        ),
    ],
)
def test_message_template_errors(templates, files, message):
    for name, text in files.items():
        write(templates, name, text)
    found = failure(lambda: templates.render_message("email", "m", CONTEXT))
    assert found == message.format(dir=templates.directory)


def test_a_changed_template_is_read_again(templates):
    write(templates, "m.sms.j2", "one")
    assert templates.render_message("sms", "m", CONTEXT) == {"text": "one"}
    write(templates, "m.sms.j2", "two, longer")
    assert templates.render_message("sms", "m", CONTEXT) == {"text": "two, longer"}


# --- hostile templates ------------------------------------------------------------

HOSTILE = {
    "class walk": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "globals walk": "{{ cycler.__init__.__globals__.os }}",
    "self walk": "{{ self.__init__.__globals__ }}",
    "namespace walk": "{{ namespace.__init__.__globals__ }}",
    "attr filter": "{{ ''|attr('__class__')|attr('__mro__') }}",
    "attr format": "{{ '{0.__class__}'|attr('format')(1) }}",
    "format method": "{{ '{0.__class__.__init__.__globals__}'.format(profile) }}",
    "format width": "{{ '{0:>999999999}'.format(1) }}",
    "printf width": "{{ '%999999999d' % 1 }}",
    "printf star": "{{ '%*d' % (999999999, 1) }}",
    "format filter width": "{{ '%999999999s' | format('x') }}",
    "repeat": "{{ 'x' * 999999999 }}",
    "repeat list": "{{ ['x' * 10000] * 100000 }}",
    "power": "{{ 2 ** 99999999 }}",
    "range": "{{ range(999999999) | list }}",
    "nested ranges": "{% for a in range(99999) %}{% for b in range(99999) %}"
    "{% endfor %}{% endfor %}",
    "doubling macro": "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}"
    "{% else %}{{ s }}{% endif %}{% endmacro %}{{ d('x', 60) }}",
    "shared lists": "{% set a = ['x' * 1000] %}{% set b = [a,a,a,a,a,a,a,a] %}"
    "{% set c = [b,b,b,b,b,b,b,b] %}{% set d = [c,c,c,c,c,c,c,c] %}{{ d }}",
    "block set": "{% set x %}{% for i in range(99999) %}"
    + "A" * 200
    + "{% endfor %}{% endset %}{{ x | length }}",
    "replace": "{{ ('x' * 10000) | replace('x', 'y' * 10000) }}",
    "join": "{{ range(99999) | join('x' * 1000) }}",
    "center": "{{ 'x' | center(999999999) }}",
    "indent": "{{ ('x\\n' * 5000) | indent('y' * 5000) }}",
    "wordwrap": "{{ ('x ' * 5000) | wordwrap(1, wrapstring='y' * 5000) }}",
    "batch": "{{ [1] | batch(999999999, 'x') | list }}",
    "slice": "{{ [1] | slice(999999999) | list }}",
    "tojson indent": "{{ profile | tojson(999999999) }}",
    "sum of lists": "{{ range(9999) | map('string') | list | sum(start='') }}",
    "recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "self include": "{% include 'loop.email.j2' %}",
    "lipsum": "{{ lipsum(999999) }}",
    "namespace growth": "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
    "list append": "{{ [].append(1) }}",
    "dict update": "{{ profile.update({'id': 'x'}) }}",
    "striptags": "{{ ('<!--' * 50000) | striptags }}",
    "output": "{% for i in range(99999) %}{{ profile }}{% endfor %}",
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_templates_fail_cleanly_within_the_limits(templates, source):
    write(templates, "loop.email.j2", "subject: x\n{% include 'loop.email.j2' %}")
    context = {**CONTEXT, "profile": dict(CONTEXT["profile"])}

    started = time.monotonic()
    message = failure(lambda: templates.render_text(source, context))

    assert time.monotonic() - started < 3.0
    assert message.startswith(("<template>", "loop.email.j2"))
    assert "Traceback" not in message and len(message) < 300
    assert context["profile"] == CONTEXT["profile"], "data stays as it was"
    # The environment still works afterwards.
    assert templates.render_text("{{ coupon }}", CONTEXT) == "TEN"


def test_the_render_deadline_holds_for_slow_loops(tmp_path):
    templates = Templates(tmp_path, TemplateLimits(seconds=0.05, steps=10**9))
    source = (
        "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
    )

    started = time.monotonic()
    message = failure(lambda: templates.render_text(source, {}))

    assert time.monotonic() - started < 1.0
    assert message == "<template>:1: the template took longer than 0.05s to render"
