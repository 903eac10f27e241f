"""Text helpers for mail: charsets that never crash, RFC 2047 header decoding,
HTML to plain text, format=flowed, and cutting quoted history out of a reply.

Japanese mail is the main customer here: ISO-2022-JP (often with Windows' extra
characters such as ① or ㈱ in it, i.e. really CP50220), Shift_JIS (really CP932),
EUC-JP and UTF-8, sometimes labelled wrongly or not at all, sometimes as raw 8-bit
bytes in headers. Every function here returns text; bytes that fit nothing come
out as U+FFFD.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from html.parser import HTMLParser

# --------------------------------------------------------------------------- charsets

# What to try, in order, for a declared charset (after the declared one itself).
_JIS = ("iso2022_jp", "x_cp50220", "iso2022_jp_2004", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_3")
_FAMILIES: dict[str, tuple[str, ...]] = {
    "iso2022_jp": _JIS,
    "iso2022_jp_1": _JIS,
    "iso2022_jp_2": _JIS,
    "iso2022_jp_ext": _JIS,
    "cp50220": _JIS,
    "cp50221": _JIS,
    "cp50222": _JIS,
    # Mail labelled Shift_JIS is nearly always Windows' CP932 (NEC/IBM extensions, ～).
    "shift_jis": ("cp932", "shift_jis", "shift_jis_2004"),
    "cp932": ("cp932", "shift_jis_2004"),
    "shift_jis_2004": ("shift_jis_2004", "cp932"),
    "euc_jp": ("euc_jp", "euc_jis_2004", "euc_jisx0213"),
    "euc_jis_2004": ("euc_jis_2004", "euc_jp"),
    # Browsers' rules: these labels mean the bigger Windows/GB sets.
    "latin_1": ("cp1252", "latin_1"),
    "iso8859_1": ("cp1252", "latin_1"),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "euc_kr": ("cp949",),
    "ks_c_5601_1987": ("cp949",),
    "big5": ("big5hkscs", "cp950"),
}
_ALIASES = {
    "x-sjis": "shift_jis", "sjis": "shift_jis", "shift-jis": "shift_jis", "ms_kanji": "shift_jis",
    "windows-31j": "cp932", "x-euc-jp": "euc_jp", "ks_c_5601-1987": "ks_c_5601_1987",
    "cp50220": "cp50220", "cp50221": "cp50221", "cp50222": "cp50222",
}
_UNKNOWN = {"", "unknown", "unknown-8bit", "x-unknown", "default", "us-ascii", "ascii", "none", "8bit"}


def _codec(charset: str | None) -> str | None:
    """A Python codec name for a MIME charset label, or None when unknown / generic."""
    label = (charset or "").strip().strip('"').lower()
    if label in _UNKNOWN:
        return None
    label = _ALIASES.get(label, label)
    if label in _FAMILIES:
        return label
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in ("ascii", "us-ascii"):
        return None
    return name.replace("-", "_")


def _guess_order(data: bytes) -> tuple[str, ...]:
    if b"\x1b$" in data or b"\x1b(" in data:
        return ("utf_8",) + _JIS
    high = [b for b in data if b >= 0x80]
    # EUC-JP uses only 0xA1-0xFE (plus SS2/SS3); CP932 lead bytes include 0x81-0x9F.
    if high and all(b >= 0xA1 or b in (0x8E, 0x8F) for b in high):
        return ("utf_8", "euc_jp", "cp932", "euc_jis_2004")
    return ("utf_8", "cp932", "euc_jp", "euc_jis_2004")


def _decode_cp50220(data: bytes) -> str:
    """ISO-2022-JP as Windows writes it (CP50220/CP50221): JIS X 0208 plus the NEC and
    IBM extensions (①, ㈱, ...). Converted to CP932 byte by byte, then decoded strictly."""
    out = bytearray()
    mode = "ascii"
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == 0x1B:
            seq = data[i + 1:i + 3]
            if seq in (b"$B", b"$@"):
                mode, i = "kanji", i + 3
                continue
            if seq in (b"(B", b"(J", b"(H"):
                mode, i = "ascii", i + 3
                continue
            if seq == b"(I":
                mode, i = "kana", i + 3
                continue
            raise UnicodeDecodeError("x_cp50220", data, i, i + 1, "unsupported escape sequence")
        if b == 0x0E:  # SO / SI: CP50222 half-width katakana
            mode, i = "kana", i + 1
            continue
        if b == 0x0F:
            mode, i = "ascii", i + 1
            continue
        if mode == "kanji" and 0x21 <= b <= 0x7E:
            if i + 1 >= n or not 0x21 <= data[i + 1] <= 0x7E:
                raise UnicodeDecodeError("x_cp50220", data, i, i + 1, "truncated JIS character")
            j1, j2 = b, data[i + 1]
            s1 = (j1 + 1) // 2 + 0x70
            if s1 >= 0xA0:
                s1 += 0x40
            if j1 % 2:
                s2 = j2 + 0x1F + (1 if j2 >= 0x60 else 0)
            else:
                s2 = j2 + 0x7E
            out += bytes((s1, s2))
            i += 2
            continue
        if mode == "kana" and 0x21 <= b <= 0x5F:
            out.append(b + 0x80)
        elif b >= 0x80:
            raise UnicodeDecodeError("x_cp50220", data, i, i + 1, "8-bit byte in a 7-bit charset")
        else:
            out.append(b)
        i += 1
    return bytes(out).decode("cp932")


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes to text, trying the declared charset, its family, then a guess; never raises."""
    if not data:
        return ""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
        charset = "utf-8"
    codec = _codec(charset)
    tried: list[str] = []
    order: list[str] = []
    if b"\x1b$" in data and codec not in _JIS and codec not in ("cp50220", "cp50221", "cp50222"):
        order.extend(_JIS)  # JIS escapes in "UTF-8" text: a wrong label, not real text
    if codec in ("latin_1", "iso8859_1", "cp1252") and not data.isascii():
        order.append("utf_8")  # UTF-8 labelled Latin-1; real Latin-1 text is almost never valid UTF-8
    if codec:
        order.append(codec)
        order.extend(_FAMILIES.get(codec, ()))
    order.extend(_guess_order(data))
    for name in order:
        if name in tried:
            continue
        tried.append(name)
        try:
            return _decode_cp50220(data) if name == "x_cp50220" else data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    fallback = codec or "utf_8"
    try:
        return data.decode(fallback, errors="replace")
    except LookupError:
        return data.decode("utf_8", errors="replace")


def fix_surrogates(value: str) -> str:
    """Header text that came from raw 8-bit bytes (surrogate-escaped by the parser)."""
    if not re.search(r"[\udc80-\udcff]", value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"))


# --------------------------------------------------------------------------- headers

_EW = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def unfold(value: str) -> str:
    return _FOLD.sub("", value).replace("\r", "").replace("\n", " ")


def _ew_payload(kind: str, text: str) -> bytes:
    if kind in "bB":
        text = text.strip()
        text += "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text)
        except (binascii.Error, ValueError):
            try:
                return base64.b64decode(text.rstrip("="), validate=False)
            except (binascii.Error, ValueError):
                return text.encode("ascii", "replace")
    out = bytearray()
    i = 0
    raw = text.encode("ascii", "surrogateescape")
    while i < len(raw):
        c = raw[i]
        if c == 0x5F:  # "_"
            out.append(0x20)
        elif c == 0x3D and re.fullmatch(rb"[0-9A-Fa-f]{2}", raw[i + 1:i + 3]):
            out.append(int(raw[i + 1:i + 3], 16))
            i += 2
        else:
            out.append(c)
        i += 1
    return bytes(out)


def decode_header_value(value: str | None) -> str:
    """Unfold and decode a header value: RFC 2047 encoded words (also the common
    non-standard ones: inside quotes, split in the middle of a character) and raw
    8-bit bytes. Never raises."""
    if not value:
        return ""
    value = unfold(str(value))
    pieces: list[list] = []  # [kind, payload, charset]
    pos = 0
    for m in _EW.finditer(value):
        between = value[pos:m.start()]
        if between and not (between.isspace() and pieces and pieces[-1][0] == "ew"):
            pieces.append(["text", between, None])
        charset = m.group(1).lower()
        payload = _ew_payload(m.group(2), m.group(3))
        if pieces and pieces[-1][0] == "ew" and pieces[-1][2] == charset:
            pieces[-1][1] += payload
        else:
            pieces.append(["ew", payload, charset])
        pos = m.end()
    if pos < len(value):
        pieces.append(["text", value[pos:], None])
    out = []
    for kind, payload, charset in pieces:
        out.append(decode_bytes(payload, charset) if kind == "ew" else fix_surrogates(payload))
    return "".join(out).replace("\x00", "").strip()


# --------------------------------------------------------------------------- format=flowed


def unflow(text: str, delsp: bool = False) -> str:
    """RFC 3676: join soft-broken lines (those ending in a space) of the same quote depth."""
    out: list[str] = []
    buf: str | None = None
    depth_of_buf = 0
    for line in text.split("\n"):
        m = re.match(r">+", line)
        depth = len(m.group(0)) if m else 0
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if buf is not None and depth == depth_of_buf:
            buf += content
        else:
            if buf is not None:
                out.append(">" * depth_of_buf + (" " if depth_of_buf else "") + buf)
            buf, depth_of_buf = content, depth
        if not flowed:
            out.append(">" * depth_of_buf + (" " if depth_of_buf and buf else "") + buf)
            buf = None
    if buf is not None:
        out.append(">" * depth_of_buf + (" " if depth_of_buf else "") + buf)
    return "\n".join(out)


# --------------------------------------------------------------------------- HTML


_BLOCK = {
    "address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot",
    "tr", "ul", "body", "html",
}
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "pre"}
_SKIP = {"script", "style", "head", "title", "template", "noscript", "xml", "o:p"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"}


class _HtmlText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (quote depth, text)
        self.line = ""
        self.line_depth = 0
        self.depth = 0
        self.skip = 0
        self.pre = 0
        self.blank_wanted = False
        self.links: list[tuple[str, int]] = []  # (href, position of link text start)

    # -- output

    def _newline(self, hard: bool = False) -> None:
        if self.line.strip() or hard:
            self.lines.append((self.line_depth, self.line.rstrip()))
        self.line = ""
        self.line_depth = self.depth

    def _soft_break(self, paragraph: bool = False) -> None:
        if self.line.strip():
            self._newline()
        else:
            self.line = ""
            self.line_depth = self.depth
        if paragraph and self.lines and self.lines[-1][1] != "" and self.lines[-1][0] == self.depth:
            self.lines.append((self.depth, ""))

    def _write(self, text: str) -> None:
        if not self.line:
            self.line_depth = self.depth
        self.line += text

    # -- parser callbacks

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag == "br":
            self._newline(hard=True)
        elif tag == "blockquote":
            self._soft_break()
            self.depth += 1
            self.line_depth = self.depth
        elif tag in _BLOCK:
            self._soft_break(paragraph=tag in _PARAGRAPH)
            if tag == "pre":
                self.pre += 1
            elif tag == "li":
                self._write("・")
            elif tag == "hr":
                self._write("----")
                self._newline()
        elif tag in ("td", "th"):
            if self.line.strip():
                self._write("\t")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append((href, len(self.line)))
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self._write(f"[{alt}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag.lower() not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        tag = tag.lower()
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "blockquote":
            self._soft_break()
            self.depth = max(0, self.depth - 1)
            self.line_depth = self.depth
        elif tag in _BLOCK:
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            self._soft_break(paragraph=tag in _PARAGRAPH)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = self.line[start:].strip()
            if re.match(r"https?://", href, re.I) and href not in label and label not in href:
                self._write(f" <{href}>")

    def handle_data(self, data):
        if self.skip:
            return
        data = data.replace("\xa0", " ").replace("\u200b", "")
        if self.pre:
            parts = data.replace("\r", "").split("\n")
            for i, part in enumerate(parts):
                if i:
                    self._newline(hard=True)
                self._write(part)
            return
        data = re.sub(r"[ \t\r\n\f]+", " ", data)
        if not self.line.strip():
            data = data.lstrip()
        if data:
            self._write(data)

    def result(self) -> str:
        self._newline()
        out = []
        for depth, text in self.lines:
            prefix = "> " * depth if text else ">" * depth
            out.append((prefix + text).rstrip() if depth else text)
        text = "\n".join(out)
        text = re.sub(r"\n{3,}", "\n\n", text)
        return text.strip("\n")


def html_to_text(html: str) -> str:
    """Readable text from HTML: no script/style, line breaks for br/p/div/li/tr,
    entities unescaped, <blockquote> rendered as "> " lines, link targets kept."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is a last resort
        return re.sub(r"<[^>]+>", " ", html)
    return parser.result()


# --------------------------------------------------------------------------- quoted history

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
