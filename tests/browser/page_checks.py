"""What the browser tests measure in the demo page, as JavaScript run in the page.

Each check returns a list of problems (empty: fine), described so that a failing test
says which element is wrong and by how much.
"""

from __future__ import annotations

import re
import struct
import zlib

# Shared by the checks: a short name for an element, as a person would find it in DevTools.
_DESCRIBE = """
const describe = (el) => {
  let s = el.tagName.toLowerCase();
  if (el.id) s += "#" + el.id;
  else if (el.className && typeof el.className === "string") s += "." + el.className.trim().split(/\\s+/).join(".");
  const text = (el.innerText || el.textContent || "").trim().replace(/\\s+/g, " ");
  return text ? s + " (" + text.slice(0, 30) + ")" : s;
};
const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
"""

# Containers that scroll sideways on purpose: IDs and secrets, carousels, the tab bar, chips.
SIDEWAYS_SCROLLERS = "code, pre, .carousel, .tabs, .quick-replies"

HORIZONTAL_OVERFLOW = _DESCRIBE + """
() => {
  const vw = document.documentElement.clientWidth;
  const bad = [];
  if (document.documentElement.scrollWidth > vw + 1) {
    bad.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " > " + vw);
  }
  for (const el of document.querySelectorAll("body *")) {
    if (!shown(el) || getComputedStyle(el).position === "fixed") continue;
    if (el.closest("dialog:not([open])")) continue;
    if (el.parentElement && el.parentElement.closest("%s")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 1 || r.left < -1) bad.push(describe(el) + " spans " + Math.round(r.left) + ".." + Math.round(r.right) + " of " + vw);
  }
  for (const el of document.querySelectorAll(".messages, .room-list, .sidebar, .room, .console-panel, .mail-composer")) {
    if (shown(el) && el.scrollWidth > el.clientWidth + 1) {
      bad.push(describe(el) + " scrolls sideways: " + el.scrollWidth + " > " + el.clientWidth);
    }
  }
  return bad.slice(0, 10);
}
""" % SIDEWAYS_SCROLLERS

# Every visible picture inside `root` is loaded, whole (not cropped, not stretched) and
# not cut off by any box around it.
IMAGES_WHOLE = _DESCRIBE + """
(root) => {
  const bad = [];
  const imgs = Array.from(root.querySelectorAll("img")).filter(shown);
  for (const img of imgs) {
    img.scrollIntoView({ block: "center", inline: "nearest" });
    if (!img.complete || !img.naturalWidth) { bad.push(describe(img) + " did not load: " + img.src); continue; }
    const r = img.getBoundingClientRect();
    const fit = getComputedStyle(img).objectFit;
    const drawn = (r.width / r.height) / (img.naturalWidth / img.naturalHeight);
    if (!["contain", "scale-down"].includes(fit) && Math.abs(drawn - 1) > 0.03) {
      bad.push(describe(img) + " is cropped or stretched (object-fit " + fit + ", " + Math.round(r.width) + "x" +
               Math.round(r.height) + " for " + img.naturalWidth + "x" + img.naturalHeight + ")");
    }
    for (let p = img.parentElement; p && p !== document.body; p = p.parentElement) {
      const cs = getComputedStyle(p);
      if (cs.overflowX === "visible" && cs.overflowY === "visible") continue;
      const pr = p.getBoundingClientRect();
      if (r.left < pr.left - 1 || r.right > pr.right + 1 || r.top < pr.top - 1 || r.bottom > pr.bottom + 1) {
        bad.push(describe(img) + " is cut off by " + describe(p));
        break;
      }
    }
    if (r.left < -1 || r.right > document.documentElement.clientWidth + 1) bad.push(describe(img) + " is off screen");
  }
  return { count: imgs.length, bad };
}
"""

# Latin words inside `el` that the browser split over two lines (Japanese may wrap
# anywhere; "confirmation" may not). Words wider than the box are allowed to break.
WORDS_SPLIT = """
(el) => {
  const bad = [];
  const box = el.getBoundingClientRect();
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(/[A-Za-z][A-Za-z'-]+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
      if (tops.size > 1 && range.getBoundingClientRect().width < box.width * 0.9) bad.push(m[0]);
    }
  }
  return bad;
}
"""

# IDs and secrets (`code` elements) that take more than one line.
IDS_ON_MORE_THAN_ONE_LINE = _DESCRIBE + """
(root) => {
  const bad = [];
  for (const code of root.querySelectorAll("code")) {
    if (!shown(code) || !code.textContent) continue;
    const range = document.createRange();
    range.selectNodeContents(code);
    const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
    if (tops.size > 1) bad.push(describe(code) + " wraps over " + tops.size + " lines");
  }
  return bad;
}
"""

# Buttons that say what they do twice ("URLをコピー コピー").
DOUBLED_LABELS = _DESCRIBE + """
(root) => {
  const bad = [];
  for (const btn of root.querySelectorAll("button")) {
    if (!shown(btn)) continue;
    const text = btn.innerText.trim();
    const words = text.split(/\\s+/);
    if (words.length > 1 && new Set(words).size < words.length) bad.push(describe(btn));
    if ((text.match(/コピー/g) || []).length > 1) bad.push(describe(btn));
  }
  return bad;
}
"""

# Installed before the page's own scripts: what the page said in toasts, kept for the end.
RECORD_TOASTS = """
window.__toasts = [];
document.addEventListener("DOMContentLoaded", () => {
  const t = document.getElementById("toast");
  if (!t) return;
  new MutationObserver(() => { if (t.textContent) window.__toasts.push(t.textContent); })
    .observe(t, { childList: true, characterData: true, subtree: true });
});
"""

# Words of the platforms and protocols that a Japanese page writes in Latin letters.
LATIN_TERMS = {"LINE", "WORKS", "Bot", "Webhook", "URL", "HTTP", "SMTP", "Gmail", "https", "http", "cxbot",
               "demo", "MB", "API", "Developers", "ID", "Flex", "JSON", "Enter", "Shift", "Ctrl", "OK"}


def english_words(text: str) -> list[str]:
    """Latin-letter words in a Japanese text that are not names of platforms or protocols."""
    words = re.findall(r"[A-Za-z]{3,}", re.sub(r"\S+@\S+|https?://\S+", "", text))
    return [w for w in words if w not in LATIN_TERMS]


def wide_png(width: int = 1200, height: int = 300) -> bytes:
    """A wide picture (green above, white below), so that cropping or squeezing shows."""
    rows = []
    for y in range(height):
        color = b"\x1d\xb4\x46" if y < height // 2 else b"\xff\xff\xff"
        rows.append(b"\x00" + color * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))
