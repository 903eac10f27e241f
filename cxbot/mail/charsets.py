"""Mail bytes to text in charsets that never crash.

Japanese mail is the main customer here: ISO-2022-JP (often with Windows' extra
characters such as ① or ㈱ in it, i.e. really CP50220), Shift_JIS (really CP932),
EUC-JP and UTF-8, sometimes labelled wrongly or not at all, sometimes as raw 8-bit
bytes in headers. Every function here returns text; bytes that fit nothing come
out as U+FFFD.
"""

from __future__ import annotations

import codecs
import re

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
