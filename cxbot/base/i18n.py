"""Bot message texts, rendered from templates/bot/<locale>/ (ja default, en a setting).

Message bodies are Jinja2 files (`<name>.txt`); button labels live in
`labels.toml` so a translator edits one file per language.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, Undefined

from cxbot import TEMPLATES_DIR

LOCALES = ("ja", "en")


class Texts:
    def __init__(self, locale: str = "ja"):
        if locale not in LOCALES:
            raise ValueError(f"unsupported locale {locale!r}")
        self.locale = locale
        folder = TEMPLATES_DIR / "bot" / locale
        self._env = Environment(
            loader=FileSystemLoader(str(folder)),
            autoescape=False,
            # Flow data is filled in step by step: a value not given yet renders empty.
            undefined=Undefined,
        )
        with open(folder / "labels.toml", "rb") as fh:
            self._labels: dict[str, str] = tomllib.load(fh)

    def render(self, template: str, /, **context) -> str:
        return self._env.get_template(f"{template}.txt").render(**context).strip()

    def label(self, key: str) -> str:
        try:
            return self._labels[key]
        except KeyError:
            raise KeyError(f"label {key!r} is missing from templates/bot/{self.locale}/labels.toml") from None


@lru_cache(maxsize=None)
def texts(locale: str) -> Texts:
    return Texts(locale)
