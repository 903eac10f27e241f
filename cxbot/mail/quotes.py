"""Cutting the quoted history out of a reply, so only what the customer wrote is relayed."""

from __future__ import annotations

import re

_REPLY_HEADERS = [
    # Gmail / Apple Mail / Thunderbird (en): "On Tue, Nov 24, 2026 at 10:00 AM Name <a@b> wrote:"
    re.compile(r"^On\s(?=.*\d).{4,400}\swrote\s*:\s*$", re.I),  # always has a date in it
    # Thunderbird etc. with the date first: "2026/11/24 10:00, Name wrote:" / "24/11/2026 10:00, Name wrote:"
    re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}.{0,300}\swrote\s*:\s*$", re.I),
    # Gmail (ja): "2026年11月24日(火) 10:00 山田 太郎 <taro@example.com>:"
    # (it always names the address, which tells it from "2026年12月1日(月) 14:00 議題:" in a body)
    re.compile(r"^\d{4}年\s*\d{1,2}月\s*\d{1,2}日\s*(?:[(（][^)）]{1,3}[)）])?\s*(?:午前|午後)?\s*\d{1,2}:\d{2}"
               r"(?::\d{2})?\s.{0,300}@.{1,300}[:：]\s*$"),
    # Apple Mail (ja): "2026/11/24 10:00、山田 太郎 <taro@example.com>のメール:"
    re.compile(r"^\d{4}/\d{1,2}/\d{1,2}\s*(?:[(（][^)）]{1,3}[)）])?\s*\d{1,2}:\d{2}.{0,300}のメール\s*[:：]\s*$"),
    # Thunderbird / Becky! (ja): "山田 太郎 さんは書きました:" / "... wrote:" variants
    re.compile(r"^.{1,300}(?:さんは書きました|さんが書きました|は書きました|が書きました)\s*[:：]\s*$"),
    # Outlook / Lotus: "-----Original Message-----", "-----元のメッセージ-----"
    re.compile(r"^\s*-{2,}\s*(?:Original Message|Reply Message|元のメッセージ|オリジナル\s*メッセージ|"
               r"Message d'origine|Ursprüngliche Nachricht|Mensaje original)\s*-{2,}\s*$", re.I),
]
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|差出人|送信者|送信元)\*?\s*[:：]", re.I)
_HEADER_DATE = re.compile(r"^\s*\*?(?:Sent|Date|送信日時|送信日|日付|日時)\*?\s*[:：]", re.I)
_HEADER_ANY = re.compile(r"^\s*\*?(?:To|Cc|Subject|宛先|件名|CC|Sent|Date|送信日時|送信日|日付|日時)\*?\s*[:：]",
                         re.I)
_SEPARATOR = re.compile(r"^\s*(?:_{5,}|-{5,}|={5,}|─{3,}|━{3,})\s*$")
_FORWARD_MARK = re.compile(r"(?:Forwarded message|転送メッセージ|Begin forwarded message|転送されたメッセージ|"
                           r"Weitergeleitete Nachricht)", re.I)


def _is_reply_header(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if not line:
        return False
    candidates = [line]
    if i + 1 < len(lines):  # Gmail wraps long attribution lines
        candidates.append(line + " " + lines[i + 1].strip())
        candidates.append(line + lines[i + 1].strip())
    for text in candidates:
        if any(p.match(text) for p in _REPLY_HEADERS):
            return True
    if _HEADER_FROM.match(line):
        window = [lines[j] for j in range(i + 1, min(len(lines), i + 6))]
        if any(_HEADER_DATE.match(w) for w in window) and sum(bool(_HEADER_ANY.match(w)) for w in window) >= 2:
            previous = next((lines[j] for j in range(i - 1, max(-1, i - 3), -1) if lines[j].strip()), "")
            return not _FORWARD_MARK.search(previous)
    return False


def strip_quoted(text: str) -> str:
    """Only the new part of a reply: cut at the first reply header ("On ... wrote:",
    Gmail's Japanese "2026年11月24日(火) 10:00 山田 <a@b>:", "-----Original Message-----",
    an Outlook "From:/Sent:" or "差出人:/送信日時:" block) and drop lines starting with
    ">". The whole text when nothing is left."""
    if not text:
        return ""
    lines = text.split("\n")
    cut = next((i for i in range(len(lines)) if _is_reply_header(lines, i)), None)
    if cut is not None:
        lines = lines[:cut]
        while lines and (not lines[-1].strip() or _SEPARATOR.match(lines[-1])):
            lines.pop()
    kept = [line.rstrip() for line in lines if not line.startswith(">")]
    result = "\n".join(kept)
    result = re.sub(r"\n{3,}", "\n\n", result).strip("\n")
    if not result.strip():
        return text.strip("\n")
    return result
