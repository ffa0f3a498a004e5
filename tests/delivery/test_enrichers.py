"""Enrichers: the built-in ones as tables, through the engine, and HTTP lookups whose
answers come back through the engine as ``enriched`` events."""

from __future__ import annotations

import pytest
from engine_setup import engine_for, event
from servers import Reply

from tracsh.delivery import enrichers
from tracsh.delivery.enrichers import EnricherFailure
from tracsh.engine.enrichment import apply_enrichment

ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/129.0.0.0 Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 12; SM-X200) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0.0.0 Safari/537.36"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.mark.parametrize(
    ("agent", "browser", "os", "kind", "bot"),
    [
        (ANDROID, "Chrome Mobile", "Android", "mobile", False),
        (IPHONE, "Mobile Safari", "iOS", "mobile", False),
        (IPAD, "Mobile Safari", "iOS", "tablet", False),
        (ANDROID_TABLET, "Chrome", "Android", "tablet", False),
        (WINDOWS, "Chrome", "Windows", "desktop", False),
        (GOOGLEBOT, "Googlebot", None, "bot", True),
        ("curl/8.5.0", "curl", None, "other", False),
    ],
)
def test_user_agent(agent, browser, os, kind, bot):
    found = enrichers.user_agent(agent)
    assert (found["browser"], found["os"], found["type"], found["bot"]) == (
        browser,
        os,
        kind,
        bot,
    )


def test_user_agent_versions_and_device():
    found = enrichers.user_agent(ANDROID)
    assert (found["browser_version"], found["os_version"]) == ("129.0.0", "13")
    assert (found["brand"], found["model"]) == ("Samsung", "SM-A536B")


@pytest.mark.parametrize(
    ("address", "domain", "kind"),
    [
        ("Ann@GMail.com", "gmail.com", "free"),
        ("bob@outlook.de", "outlook.de", "free"),
        ("cio@acme-coffee.example", "acme-coffee.example", "business"),
        ("x@mail.google.com", "mail.google.com", "business"),
    ],
)
def test_email(address, domain, kind):
    found = enrichers.email(address)
    assert (found["domain"], found["kind"], found["free"]) == (
        domain,
        kind,
        kind == "free",
    )


def test_url():
    found = enrichers.url(
        "https://Shop.example.test:8443/c/tea?utm_source=news&utm_campaign=bf24"
        "&tag=a&tag=b&empty=#top"
    )
    assert found == {
        "scheme": "https",
        "host": "shop.example.test",
        "port": 8443,
        "path": "/c/tea",
        "query": {
            "utm_source": "news",
            "utm_campaign": "bf24",
            "tag": ["a", "b"],
            "empty": "",
        },
        "fragment": "top",
        "utm": {"source": "news", "campaign": "bf24"},
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: enrichers.email("not an address"),
            "email: not an e-mail address: 'not an address'",
        ),
        (
            lambda: enrichers.email("a@localhost"),
            "email: not an e-mail address: 'a@localhost'",
        ),
        (lambda: enrichers.url("ftp://x/y"), "url: not an http(s) URL: 'ftp://x/y'"),
        (lambda: enrichers.url("/relative"), "url: not an http(s) URL: '/relative'"),
    ],
)
def test_bad_input_is_an_enricher_failure(call, message):
    with pytest.raises(EnricherFailure) as caught:
        call()
    assert str(caught.value) == message


# --- through the engine --------------------------------------------------------

RULES = """
when event.type == "page-view" then enrich profile.traits.device from "user-agent"; \
enrich session.context.landing from "url"; enrich profile.traits.mail from "email" \
with {"value": event.properties.email}
"""


def test_built_in_enrichers_store_their_results_when_the_rule_fires(project_of):
    project = project_of({})
    engine = engine_for(project, RULES)
    page = event(
        "e1",
        properties={"email": "ann@gmail.com"},
        context={"user_agent": IPHONE, "page": {"url": "https://s.test/?utm_source=x"}},
    )

    [outcome] = engine.process_batch([page])

    profile = project.store.get_profile("p1")
    assert profile["traits"]["device"]["type"] == "mobile"
    assert profile["traits"]["mail"] == {
        "domain": "gmail.com",
        "free": True,
        "kind": "free",
    }
    session = project.store.get_session("s-p1")
    assert session["context"]["landing"]["utm"] == {"source": "x"}
    assert outcome.errors == []


def test_a_failing_enricher_leaves_the_profile_unchanged_and_is_recorded(project_of):
    project = project_of({})
    engine = engine_for(
        project,
        'when event.type == "x" then enrich profile.traits.mail from "email"; '
        'enrich profile.traits.co from "company"; set profile.traits.after = 1',
    )

    [outcome] = engine.process_batch([event("e1", "x")])

    assert project.store.get_profile("p1")["traits"] == {"after": 1}
    assert outcome.errors == [
        't:1: enrich profile.traits.mail from "email": email: profile.pii.email is '
        "missing or not text",
        't:1: enrich profile.traits.co from "company": no enricher called '
        "'company' (known: user-agent, url, email); configure [enrichers.company] "
        "in tracsh.toml",
    ]
    assert project.store.rule_stats()[0]["errors"] == 2


# --- HTTP enrichers ------------------------------------------------------------


def http_project(project_of, receiver, delivery=None, **extra):
    enricher = {
        "kind": "http",
        "url": receiver.url("/company/{{ profile.pii.email }}"),
        "fields": {"name": "company.name", "size": "company.employees"},
        "allow_private": True,
    }
    enricher.update(extra)
    return project_of({"enrichers": {"company": enricher}, "delivery": delivery or {}})


HTTP_RULES = """
when event.type == "sign-up" then enrich profile.traits.company from "company"
rule "note the enricher"
  when event.type == "enriched"
  then set profile.traits.enriched_by = event.properties.enricher
end
segment "big company" when profile.traits.company.size >= 1000
"""


def sign_up(project, engine, event_id: str, profile: str):
    with project.store.transaction():
        project.store.put_profile({"id": profile, "pii": {"email": "a+b@acme.test"}})
    engine.process_batch([event(event_id, "sign-up", profile=profile)])


def test_an_http_enricher_s_answer_comes_back_through_the_engine(project_of, receiver):
    receiver.default = Reply(body=b'{"company": {"name": "Acme", "employees": 5000}}')
    project = http_project(project_of, receiver)
    engine = engine_for(project, HTTP_RULES)
    sign_up(project, engine, "e1", "p1")
    [row] = project.store.outbox_rows()
    assert row["rendered"]["url"] == receiver.url("/company/a%2Bb%40acme.test")
    assert "company" not in project.store.get_profile("p1").get("traits", {})

    project.clock.advance(3600)
    counts = project.drain(apply=lambda e: apply_enrichment(engine, e))

    assert counts.sent == 1
    profile = project.store.get_profile("p1")
    assert profile["traits"]["company"] == {"name": "Acme", "size": 5000}
    assert profile["traits"]["enriched_by"] == "company"
    assert "big company" in profile["segments"]
    assert receiver.requests[0].path == "/company/a%2Bb%40acme.test"


def test_answers_are_cached_for_their_time_to_live(project_of, receiver):
    receiver.default = Reply(body=b'{"company": {"name": "Acme", "employees": 9}}')
    project = http_project(project_of, receiver, ttl="1h")
    engine = engine_for(project, HTTP_RULES)
    apply = lambda e: apply_enrichment(engine, e)  # noqa: E731
    sign_up(project, engine, "e1", "p1")
    project.clock.advance(600)
    project.drain(apply=apply)

    sign_up(project, engine, "e2", "p2")
    project.clock.advance(600)
    project.drain(apply=apply)
    assert len(receiver.requests) == 1, "the second lookup came from the cache"

    sign_up(project, engine, "e3", "p3")
    project.clock.advance(7200)
    project.drain(apply=apply)
    assert len(receiver.requests) == 2, "an expired answer is asked for again"
    for profile in ("p1", "p2", "p3"):
        assert project.store.get_profile(profile)["traits"]["company"]["name"] == "Acme"


def test_an_answer_handed_over_twice_is_applied_once(project_of, receiver):
    project = http_project(project_of, receiver)
    engine = engine_for(project, HTTP_RULES)
    handed = []
    receiver.default = Reply(body=b'{"company": {"name": "Acme", "employees": 1}}')
    sign_up(project, engine, "e1", "p1")
    project.clock.advance(600)
    project.drain(apply=lambda e: handed.append(e) or apply_enrichment(engine, e))

    again = apply_enrichment(engine, handed[0])

    assert again.duplicate
    assert project.store.rule_stats()[-1]["matches"] == 1


def test_a_failed_lookup_leaves_the_profile_unchanged_and_is_recorded(
    project_of, receiver
):
    receiver.default = Reply(500, body=b"lookup down")
    project = http_project(project_of, receiver)
    project.config = type(project.config)(
        **{
            **project.config.__dict__,
            "delivery": type(project.config.delivery)(attempts=1),
        }
    )
    engine = engine_for(project, HTTP_RULES)
    sign_up(project, engine, "e1", "p1")
    project.clock.advance(600)

    counts = project.drain(apply=lambda e: apply_enrichment(engine, e))

    assert counts.dead == 1
    [row] = project.store.outbox_rows()
    assert (row["status"], row["reason"]) == ("dead", "HTTP 500: lookup down")
    assert "company" not in project.store.get_profile("p1").get("traits", {})


def test_enrich_rows_wait_when_no_engine_takes_the_answers(project_of, receiver):
    project = http_project(project_of, receiver)
    engine = engine_for(project, HTTP_RULES)
    sign_up(project, engine, "e1", "p1")
    project.clock.advance(600)

    counts = project.drain()

    assert counts.held == {
        "enrich company: enricher answers need the engine; run with the rules loaded": 1
    }
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "/company/{{ profile.pii.emial }}",
            "enrichers.company.url: profile.pii.emial is missing (use default(...) "
            "where it may be absent)",
        ),
        (
            "/company/{{ profile.pii.email ",
            "enrichers.company.url: template syntax error: unexpected end of "
            "template, expected 'end of print statement'.",
        ),
    ],
)
def test_a_failing_url_template_names_its_key(project_of, receiver, url, reason):
    project = http_project(project_of, receiver, url=receiver.url(url))
    engine = engine_for(project, HTTP_RULES)
    with project.store.transaction():
        project.store.put_profile({"id": "p1", "pii": {"email": "a@acme.test"}})

    [outcome] = engine.process_batch([event("e1", "sign-up")])

    assert outcome.errors == [
        f't:2: enrich profile.traits.company from "company": {reason}'
    ]
    assert project.store.outbox_rows() == []
