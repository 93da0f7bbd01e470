"""The Jinja environment: autoescape, i18n callables, masking filters, static URLs."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine

from vote.lib import i18n, masking


def format_area(area_centi: int) -> str:
    """Integer hundredths of m² as a decimal string with two places: 8950 -> '89.50'."""
    sign = "-" if area_centi < 0 else ""
    whole, cents = divmod(abs(area_centi), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def percent(numerator: int, denominator: int, places: int = 2) -> str:
    """An exact percentage string without floats: percent(1, 3) -> '33.33'."""
    if denominator == 0:
        return "0." + "0" * places
    scale = 10**places
    value = (numerator * 100 * scale * 2 + denominator) // (denominator * 2)
    whole, frac = divmod(value, scale)
    return f"{whole}.{frac:0{places}d}"


def build_environment(template_dir: Path) -> Environment:
    """A Jinja environment with the product's filters and gettext installed."""
    env = Environment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=select_autoescape(("html", "xml"), default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        mask_name=masking.mask_name,
        mask_phone=masking.mask_phone,
        area=format_area,
    )
    env.globals.update(
        percent=percent,
        current_language=i18n.current_language.get,
        language_names=i18n.LANGUAGE_NAMES,
        html_lang=lambda: i18n.HTML_LANG[i18n.current_language.get()],
    )
    return env


def template_engine(template_dir: Path) -> JinjaTemplateEngine:
    """The Litestar template engine around our environment."""
    return JinjaTemplateEngine.from_environment(build_environment(template_dir))
