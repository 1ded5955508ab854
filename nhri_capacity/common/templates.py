"""Jinja templates: every HTML page the toolkit writes is a file under ``resources/templates``."""

from __future__ import annotations

from .. import config

__all__ = ["environment", "render_template"]


def environment(*, filters: dict | None = None):
    """A Jinja environment over ``resources/templates``.

    HTML is autoescaped and an undefined name is an error, so a template
    never prints an empty value silently. *filters* adds formatting filters.
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(config.TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    if filters:
        env.filters.update(filters)
    return env


def render_template(name: str, *, filters: dict | None = None, **context) -> str:
    """Render the template *name* (e.g. ``"index.html.j2"``) with *context*."""
    return environment(filters=filters).get_template(name).render(**context)
