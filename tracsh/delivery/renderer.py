"""What the engine asks of delivery when an action fires: render, or enrich.

The engine holds one :class:`Renderer` (``tracsh.cli.project.renderer_of``
builds it from the configuration) and calls it from the action handlers:
``send`` renders its message, ``show message`` its in-app message,
``log`` its line, ``call webhook`` its body
template when the webhook has one, and ``enrich`` either runs a built-in
enricher at once or gets the rendered request of an HTTP one to queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tracsh.config import Config
from tracsh.delivery.enrichers import BUILTIN, EnricherFailure, run_builtin
from tracsh.delivery.sandbox import TemplateLimits
from tracsh.delivery.templates import SUFFIXES, Templates


def templates_of(config: Config) -> Templates:
    """The project's templates with the configured render limits."""
    limits = TemplateLimits(
        seconds=config.delivery.render_timeout,
        characters=config.delivery.render_limit,
    )
    return Templates(config.rules.templates, limits)


@dataclass(frozen=True)
class Enrichment:
    """What ``enrich`` gets: a value to store now, or a request to queue."""

    value: Any = None
    request: dict | None = None
    """For HTTP enrichers: ``{"url": …}``, rendered now, sent by the worker."""


class Renderer:
    """Fire-time rendering and enrichment for one configuration."""

    def __init__(self, config: Config, templates: Templates | None = None) -> None:
        self.config = config
        self.templates = templates or templates_of(config)

    def render_message(self, channel: str, template: str, context: Mapping) -> Any:
        """The rendered message, or None when the project has no templates at all.

        Without a templates directory messages stay in the outbox unrendered,
        as they did before delivery was configured; a missing or failing
        template in an existing directory raises TemplateFailure.
        """
        directory = self.templates.directory
        if directory is None or not directory.is_dir():
            return None
        return self.templates.render_message(channel, template, context)

    def render_in_app(self, template: str, context: Mapping) -> dict | None:
        """``show message``: ``templates/NAME.message.j2`` rendered, or None.

        None when the project has no such template: the /track answer then
        names the template and the site renders the message itself. A template
        that exists but fails raises TemplateFailure.
        """
        if not self.templates.exists(f"{template}{SUFFIXES['message']}"):
            return None
        return self.templates.render_message("message", template, context)

    def render_text(self, text: str, context: Mapping) -> str:
        """A ``log`` line."""
        return self.templates.render_text(text, context)

    def render_webhook(self, name: str, context: Mapping) -> dict | None:
        """``{"body": …}`` from the webhook's body template, or None without one."""
        hook = self.config.webhooks.get(name)
        if hook is None or hook.body is None:
            return None
        return {"body": self.templates.render_json(hook.body, context)}

    def enrich(self, name: str, args: Mapping, context: Mapping) -> Enrichment:
        """Run a built-in enricher now, or render an HTTP enricher's request."""
        if name in BUILTIN:
            return Enrichment(value=run_builtin(name, args, context))
        enricher = self.config.enrichers.get(name)
        if enricher is None:
            known = ", ".join([*BUILTIN, *self.config.enrichers])
            raise EnricherFailure(
                f"no enricher called {name!r} (known: {known}); "
                f"configure [enrichers.{name}] in tracsh.toml"
            )
        url = self.templates.render_url(enricher.url, context, f"enrichers.{name}.url")
        return Enrichment(request={"url": url, "method": enricher.method})
