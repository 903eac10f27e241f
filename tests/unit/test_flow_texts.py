"""The flows' texts as an admin reads them: Japanese in the Japanese UI (names of the
platforms' consoles and fields excepted), the consoles' labels as the consoles show
them, one spelling of Developers Console."""

from __future__ import annotations

import re
import tomllib

from cxbot import TEMPLATES_DIR

BOT = TEMPLATES_DIR / "bot"
# Names the admin meets in the consoles and in cxbot's settings, kept as they are written there.
NAMES = {
    "API", "Account", "BEGIN", "Bot", "CX", "CXBOT_ADMINS", "CXBOT_PUBLIC_URL", "CXBOT_WORKS_DOMAIN_ID", "Callback", "Client", "ClientApp",
    "Console", "Developer", "Developers", "END", "Gmail", "HTTPS", "ID", "JPEG", "KEY-----", "Key", "LINE", "MB", "Manager", "Official",
    "Messaging", "OK", "On", "Outlook", "PNG", "PRIVATE", "Private", "Secret", "Service", "Success", "URL",
    "Update", "Verify", "WORKS", "Webhook", "a-f", "console", "cxbot",
    # examples of values
    "abcde", "abcde.serviceaccount", "example.com", "png", "serviceaccount", "support",
}
SEED_LABEL = "Developer ConsoleからBotを連携"


def texts(locale: str) -> dict[str, str]:
    found = {p.name: p.read_text() for p in sorted((BOT / locale / "flows").glob("*.txt"))}
    with open(BOT / locale / "labels.toml", "rb") as fh:
        found.update({f"labels.toml:{k}": v for k, v in tomllib.load(fh).items()})
    return found


def readable(text: str) -> str:
    return re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)


def test_the_japanese_ui_has_no_english_but_names():
    stray = {}
    for name, text in texts("ja").items():
        words = set(re.findall(r"[A-Za-z][A-Za-z_.\-]+", readable(text))) - NAMES
        if words:
            stray[name] = sorted(words)
    assert stray == {}


def test_the_english_ui_has_no_japanese():
    japanese = {name for name, text in texts("en").items() if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text)}
    assert japanese == set()


def test_console_buttons_are_named_as_the_console_shows_them():
    for name, text in texts("ja").items():
        # LINE Developers console: [検証] in Japanese, Verify in English; say both.
        assert "[Verify]" not in text and "[Update]" not in text, name
        if "Verify" in text:
            assert "[検証](Verify)" in text, name


def test_one_spelling_of_developers_console():
    for locale in ("ja", "en"):
        for name, text in texts(locale).items():
            assert "Developer Console" not in text.replace(SEED_LABEL, ""), (locale, name)
            # LINE's is "LINE Developers console"; LINE WORKS's is "Developers Console".
            assert not re.search(r"(?<!LINE )Developers console|LINE Developers Console", text), (locale, name)


def test_no_text_tells_to_press_a_copy_button_to_copy():
    for locale in ("ja", "en"):
        for name, text in texts(locale).items():
            assert not re.search(r"コピー\]でコピー|\[Copy [a-z]+\] to copy", text), (locale, name)
