"""The show message action: rendered with its template when it has one."""

from __future__ import annotations

from engine_harness import event, rule_errors, rule_text


def renderer_with(tmp_path, **files: str):
    """The delivery package's Renderer over a templates folder holding ``files``."""
    from tracsh.config import build_config
    from tracsh.delivery.renderer import Renderer

    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    config = build_config({"rules": {"templates": str(folder)}}, None, tmp_path)
    return Renderer(config)


def test_show_message_carries_its_rendering_when_it_has_a_template(engine, tmp_path):
    h = engine(rule_text('set profile.traits.n = 7; show message "promo"'))
    h.put_profile()
    h.engine.renderer = renderer_with(
        tmp_path,
        **{"promo.message.j2": "title: Hi {{ profile.id }}\nn={{ profile.traits.n }}"},
    )
    [outcome] = h.run(event("e1", "go"))
    assert outcome.messages == [
        {
            "template": "promo",
            "rule": "r",
            "rendered": {"title": "Hi p1", "text": "n=7"},
        }
    ]


def test_show_message_without_a_template_is_left_to_the_site(engine, tmp_path):
    h = engine(rule_text('show message "promo"'))
    h.put_profile()
    h.engine.renderer = renderer_with(tmp_path, **{"promo.email.j2": "subject: x\n"})
    [outcome] = h.run(event("e1", "go"))
    assert (outcome.messages, outcome.errors) == (
        [{"template": "promo", "rule": "r"}],
        [],
    )


def test_a_message_that_fails_to_render_is_not_shown(engine, tmp_path):
    h = engine(rule_text('show message "promo"'))
    h.put_profile()
    h.engine.renderer = renderer_with(
        tmp_path, **{"promo.message.j2": "{{ profile.nothing.here }}"}
    )
    [outcome] = h.run(event("e1", "go"))
    assert outcome.messages == []
    [error] = outcome.errors
    assert error.startswith('r: message "promo" not shown: ') and "nothing" in error
    assert rule_errors(h) == 1
