"""HTML mail as plain text: what a person would read in it, with quotes as "> " lines."""

from __future__ import annotations

import re
from html.parser import HTMLParser

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
