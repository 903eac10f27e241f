"""The demo page in a real browser (Debian's chromium driven by Playwright), at a desktop's
1280 px and a phone's 400 px: the admin talks to the hub bot, a LINE customer and an agent
talk, an email customer writes, an employee writes to the inquiry bot, and the LINE
Developers console is used — and at each step the page is checked the way a person would
notice: nothing sticks out sideways, the list is reachable, pictures are whole, words are
not split, IDs stay on one line, no browser dialog pops up, nothing is said in English.

Screenshots of every step go to artifacts/screenshots/ (or $CXBOT_SCREENSHOTS).
Bot texts are reworded now and then: these tests look at the page, not at the wording.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from cxbot.demo import ADMIN, LINE_CUSTOMERS, USERS, start_demo
from cxbot.demo.desk import DESK_NAME
from tests.browser import page_checks as checks

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # reported by the `browser` fixture, with what to do
    sync_playwright = None

CHROMIUM = os.environ.get("CXBOT_CHROMIUM", "/usr/bin/chromium")
# Flags that work in containers and CI: no sandbox, no GPU, nothing fetched in the background.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("CXBOT_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "artifacts" / "screenshots")
WIDTHS = (1280, 400)
PHONE = 640  # the page's breakpoint: at or below it, the list and the room take turns
TIMEOUT = 15_000  # ms; the page polls every 1-3 s and the worker takes a moment
# Every wait, not only the ones that name it: a busy machine (four test processes on two
# cores) can take more than Playwright's default 5 s to relay a picture.
expect.set_options(timeout=TIMEOUT)

AGENT = next(u for u in USERS if u.role == "agent")
EMPLOYEES = [u for u in USERS if u.role == "employee"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`cxbot demo` on free ports with a fresh instance folder: one world for the module."""
    d = start_demo(port=0, sandbox_port=0, smtp_port=0, instance_path=tmp_path_factory.mktemp("demo"))
    # LINE gives a webhook 2 s; on a busy test machine [検証] must not fail for want of a CPU.
    httpx.post(f"{d.sandbox_url}/_sandbox/line/settings", json={"webhookTimeout": 10}, timeout=10).raise_for_status()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        pytest.fail("Playwright is not installed: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium with "
                    "`apt-get update && apt-get install -y chromium` (or set CXBOT_CHROMIUM)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        # launch() gives the browser a new, empty profile folder of its own each time.
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Walk:
    """One person's browser tab at one width, with what the page did that it should not."""

    page: Page
    width: int
    base: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def phone(self) -> bool:
        return self.width <= PHONE

    def shot(self, name: str) -> Path:
        path = SCREENSHOTS / f"{self.width}-{name}.png"
        self.page.screenshot(path=path)
        return path

    def tab(self, view: str) -> None:
        self.page.click(f'.tab[data-view="{view}-view"]')
        expect(self.page.locator(f"#{view}-view")).to_be_visible()

    def as_user(self, user) -> None:
        self.tab("works")
        self.page.select_option("#user-select", user.user_id)

    def open_works_room(self, name: str) -> None:
        """Open a room from the list (a phone shows the room instead of the list)."""
        item = self.page.locator("#room-list li", has_text=name).first
        expect(item).to_be_visible(timeout=TIMEOUT)
        item.click()
        expect(self.page.locator("#room-view")).to_be_visible()
        if self.phone:
            expect(self.page.locator("#works-view .sidebar")).to_be_hidden()

    def back_to_list(self, view: str, list_selector: str) -> None:
        """On a phone the way back to the list is a button in the room's header."""
        if not self.phone:
            expect(self.page.locator(list_selector)).to_be_visible()
            return
        self.page.locator(f"#{view}-view .back-btn:visible").click()
        expect(self.page.locator(list_selector)).to_be_visible()
        assert self.page.locator(list_selector).bounding_box()["width"] > self.width * 0.8

    def write(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)
        self.page.press(selector, "Enter")

    def check_layout(self, where: str) -> None:
        problems = self.page.evaluate(checks.HORIZONTAL_OVERFLOW)
        assert not problems, f"{self.width} px, {where}: {problems}"
        assert not self.page.evaluate(checks.DOUBLED_LABELS, self.page.locator("body").element_handle())

    def check_images(self, root: str, at_least: int = 1) -> None:
        result = self.page.evaluate(checks.IMAGES_WHOLE, self.page.locator(root).element_handle())
        assert result["count"] >= at_least, f"{self.width} px: no picture in {root}"
        assert not result["bad"], f"{self.width} px: {result['bad']}"

    def check_words_whole(self, bubble) -> None:
        split = self.page.evaluate(checks.WORDS_SPLIT, bubble.element_handle())
        assert not split, f"{self.width} px: words split over two lines: {split}"

    def check_clean(self) -> None:
        """No browser dialog, no script error, and nothing said in English."""
        assert not self.dialogs, f"native dialogs opened: {self.dialogs}"
        assert not self.errors, f"script errors: {self.errors}"
        said = self.page.evaluate("window.__toasts") + self.page.locator(".field-error:visible").all_inner_texts()
        english = {t: checks.english_words(t) for t in said if checks.english_words(t)}
        assert not english, f"English in the Japanese page: {english}"


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def walk(request, demo, browser):
    context = browser.new_context(viewport={"width": request.param, "height": 820}, locale="ja-JP",
                                  permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(TIMEOUT)
    context.add_init_script(checks.RECORD_TOASTS)
    page = context.new_page()
    w = Walk(page, request.param, demo.sandbox_url + "/")
    page.on("dialog", lambda d: (w.dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: w.errors.append(str(e)))
    page.goto(w.base)
    expect(page.locator("#room-list li").first).to_be_visible()
    yield w
    if getattr(request.node, "failed_call", False):  # set by conftest.py: what the page showed at the end
        w.shot("FAILED-" + request.node.originalname)
    context.close()


def sandbox(demo) -> httpx.Client:
    return httpx.Client(base_url=demo.sandbox_url, timeout=10)


# --------------------------------------------------------------------------- the page itself


def test_the_page_has_an_inline_favicon_and_fits_the_screen(walk):
    icon = walk.page.locator('link[rel="icon"]')
    href = icon.get_attribute("href")
    assert href.startswith("data:image/svg+xml,"), href  # nothing to download
    size = walk.page.evaluate("""(href) => new Promise((ok) => {
        const img = new Image(); img.onload = () => ok(img.naturalWidth); img.onerror = () => ok(0); img.src = href; })""",
                              href)
    assert size > 0, "the favicon is not a picture"
    walk.check_layout("start")
    walk.shot("start")
    if walk.phone:  # the room list fills the screen; no room is squeezed beside it
        expect(walk.page.locator("#works-view .room")).to_be_hidden()
    walk.check_clean()


# --------------------------------------------------------------------------- the admin and the hub bot


def test_the_admin_is_greeted_then_walks_the_menu_to_a_copy_button(walk, demo):
    hub = "チャネルハブ"
    with sandbox(demo) as http:
        room = http.get("/_sandbox/rooms/dm", params={"botId": demo.tenant.bot_id, "userId": ADMIN.user_id}).json()
        first_visit = not http.get(f"/_sandbox/rooms/{room['roomId']}/messages").json()
    walk.as_user(ADMIN)
    walk.open_works_room(hub)
    page = walk.page
    bot_msgs = page.locator("#messages .msg:not(.mine)")
    # The greeting: a bot message that is there before the admin wrote anything.
    expect(bot_msgs.first).to_be_visible()
    if first_visit:
        assert page.locator("#messages .msg.mine").count() == 0
    assert bot_msgs.first.locator(".bubble").count() == 1, "the greeting is a text, not a menu"
    walk.shot("hub-greeting")

    walk.write("#text-input", "メニュー")
    menu = page.locator("#messages .msg:not(.mine) .card").last
    expect(menu.get_by_role("button", name="外部チャネル連携")).to_be_visible()
    assert menu.locator(".action-btn").count() >= 3
    walk.check_layout("the menu")
    walk.shot("hub-menu")

    # Pressing buttons walks the flow: a counter account, then its mail channel.
    for label in ("外部チャネル連携", DESK_NAME, "メール"):
        cards = page.locator("#messages .card").count()
        page.locator("#messages .card").last.get_by_role("button", name=label, exact=True).click()
        expect(page.locator("#messages .card")).to_have_count(cards + 1)
    copy = page.locator("#messages .card").last.locator('[data-kind="copy"]').first
    expect(copy).to_be_visible()
    label = copy.inner_text().strip()
    assert label.count("コピー") == 1 and " " not in label, f"doubled label: {label!r}"
    copy.click()
    expect(page.locator("#messages .note", has_text="コピーしました")).to_be_visible()
    walk.check_layout("a copy button")
    walk.shot("hub-copy")
    walk.back_to_list("works", "#room-list")
    walk.check_clean()


# --------------------------------------------------------------------------- a LINE customer and an agent


def test_a_line_customer_and_an_agent_talk_in_the_cx_talk_room(walk, tmp_path):
    page = walk.page
    customer = LINE_CUSTOMERS[WIDTHS.index(walk.width) % len(LINE_CUSTOMERS)]
    walk.tab("line")
    page.select_option("#line-user-select", label=customer)
    oa = page.locator("#line-oa-list li", has_text="サンプル商店").first
    oa.click()
    expect(page.locator("#line-chat")).to_be_visible()
    if page.locator("#line-follow").is_visible():
        page.click("#line-follow")
        expect(page.locator("#line-block")).to_be_visible()
    words = (f"{walk.width}px: Hello, I ordered the wireless keyboard yesterday but the confirmation email "
             "never arrived. 注文番号は A-10293 です。詳細: https://shop.example.com/orders/A-10293?ref=line-official-account")
    walk.write("#line-text-input", words)
    mine = page.locator("#line-messages .msg.mine .bubble", has_text="wireless keyboard").last
    expect(mine).to_be_visible()
    walk.check_words_whole(mine)
    picture = tmp_path / "receipt.png"
    picture.write_bytes(checks.wide_png())
    page.set_input_files("#line-file-input", str(picture))
    expect(page.locator("#line-messages .msg.mine img")).not_to_have_count(0)
    walk.check_images("#line-messages")
    walk.check_layout("the LINE chat")
    walk.shot("line-customer")
    walk.back_to_list("line", "#line-oa-list")

    # The agent finds the CX Talk room the hub bot made, reads, and answers.
    walk.as_user(AGENT)
    walk.open_works_room(customer)
    text = page.locator("#messages .bubble", has_text="wireless keyboard").last
    expect(text).to_be_visible(timeout=TIMEOUT)
    walk.check_words_whole(text)
    expect(page.locator("#messages img")).not_to_have_count(0, timeout=TIMEOUT)
    walk.check_images("#messages")
    answer = f"{customer}様、確認いたします。Thank you for waiting ({walk.width})"
    walk.write("#text-input", answer)
    expect(page.locator("#messages .msg.mine .bubble", has_text=answer)).to_be_visible()
    walk.check_layout("the CX Talk room")
    walk.shot("cx-talk-room")
    walk.back_to_list("works", "#room-list")

    walk.tab("line")
    oa.click()
    expect(page.locator("#line-messages .msg:not(.mine) .bubble", has_text=answer)).to_be_visible(timeout=TIMEOUT)
    walk.shot("line-answer")
    walk.check_clean()


# --------------------------------------------------------------------------- an email customer


def test_an_email_customer_is_told_next_to_each_empty_field(walk, demo):
    page = walk.page
    walk.tab("mail")
    page.fill("#mail-customer", "")
    page.fill("#mail-counter", "")

    def said_next_to(field: str, error: str) -> None:
        message = page.locator(error)
        expect(message).to_be_visible()
        expect(page.locator(field)).to_have_attribute("aria-invalid", "true")
        f, m = page.locator(field).bounding_box(), message.bounding_box()
        assert 0 <= m["y"] - (f["y"] + f["height"]) < 40, f"{error} is not next to {field}"

    page.click("#mail-new")  # no address yet
    said_next_to("#mail-customer", "#mail-customer-error")
    walk.shot("mail-empty-address")
    address = f"customer{walk.width}@example.co.jp"
    page.fill("#mail-customer", address)
    expect(page.locator("#mail-customer-error")).to_be_hidden()
    page.locator("#mail-customer").dispatch_event("change")
    page.click("#mail-new")
    expect(page.locator("#mail-pane")).to_be_visible()
    page.click("#mail-send")  # no counter address, no text
    said_next_to("#mail-counter", "#mail-counter-error")  # on a phone the list comes back to show it
    page.fill("#mail-counter", demo.desk.address)
    if walk.phone:
        page.click("#mail-new")
    page.click("#mail-send")
    said_next_to("#mail-text", "#mail-text-error")
    walk.check_layout("the mail form")
    walk.shot("mail-empty-text")

    page.fill("#mail-subject", "Invoice question / 請求書について")
    page.fill("#mail-text", "Could you resend the invoice for order A-10293? 請求書の再送をお願いします。")
    page.click("#mail-send")
    card = page.locator("#mail-messages .mail-card", has_text="resend the invoice").last
    expect(card).to_be_visible()
    expect(card.locator(".status")).to_be_visible()
    walk.check_words_whole(card.locator(".mail-body"))
    walk.check_layout("the mail thread")
    walk.shot("mail-sent")
    walk.back_to_list("mail", "#mail-thread-list")
    walk.check_clean()


# --------------------------------------------------------------------------- an employee and the inquiry bot


def test_an_employee_reads_the_bots_description_first_then_the_answer(walk, demo):
    page = walk.page
    employee = EMPLOYEES[WIDTHS.index(walk.width) % len(EMPLOYEES)]
    walk.as_user(employee)
    walk.open_works_room("デモ窓口Bot")
    # The room opened (begin): the bot's description is there before the employee writes.
    first = page.locator("#messages .msg").first
    expect(first).to_be_visible()
    expect(first).not_to_have_class("msg mine")
    walk.write("#text-input", f"パソコンが起動しません ({walk.width})")
    expect(page.locator("#messages .msg.mine")).to_have_count(1)
    walk.shot("employee-asks")
    walk.back_to_list("works", "#room-list")

    walk.as_user(AGENT)
    walk.open_works_room(employee.last_name)
    expect(page.locator("#messages .bubble", has_text="パソコンが起動しません").last).to_be_visible()
    answer = f"再起動をお試しください ({walk.width})"
    walk.write("#text-input", answer)
    expect(page.locator("#messages .msg.mine .bubble", has_text=answer)).to_be_visible()

    walk.as_user(employee)
    walk.open_works_room("デモ窓口Bot")
    msgs = page.locator("#messages .msg")
    expect(msgs.last.locator(".bubble", has_text=answer)).to_be_visible(timeout=TIMEOUT)
    kinds = page.locator("#messages .msg").evaluate_all("els => els.map((e) => e.classList.contains('mine'))")
    assert kinds == [False, True, False], "description, question, answer — in that order"
    walk.check_layout("the inquiry bot's room")
    walk.shot("employee-answered")
    walk.check_clean()


# --------------------------------------------------------------------------- the LINE Developers console


def test_the_console_keeps_ids_on_one_line_verifies_in_japanese_and_asks_in_the_page(walk):
    page = walk.page
    walk.tab("console")
    page.locator("#console-channel-list li", has_text="サンプル商店").first.click()
    expect(page.locator("#console-panel")).to_be_visible()
    assert not page.evaluate(checks.IDS_ON_MORE_THAN_ONE_LINE, page.locator("#console-panel").element_handle())
    verify = page.locator("#console-verify")
    expect(verify).to_have_text("検証")
    verify.click()
    result = page.locator("#console-verify-result")
    expect(result).to_have_class("verify-result ok")
    assert result.inner_text().startswith("成功") and not checks.english_words(result.inner_text())
    walk.check_layout("the console")
    walk.shot("console-verified")
    walk.back_to_list("console", "#console-channel-list")

    # The spare Official Account: a wrong Webhook URL is refused next to the field, in Japanese.
    page.locator("#console-channel-list li", has_text="新店舗").first.click()
    page.fill("#console-webhook-url", "ftp://example.com/hook")
    page.get_by_role("button", name="更新").click()
    error = page.locator("#console-webhook-error")
    expect(error).to_be_visible()
    assert not checks.english_words(error.inner_text()), error.inner_text()
    walk.back_to_list("console", "#console-channel-list")

    # A new channel and a new LINE user are named in a form in the page, not prompt().
    page.click("#console-new-channel")
    dialog = page.locator("#ask-dialog")
    expect(dialog).to_be_visible()
    page.fill("#ask-input", "")
    page.click("#ask-ok")
    expect(page.locator("#ask-error")).to_be_visible()  # empty: said in the form, which stays
    walk.shot("console-ask")
    name = f"テスト店 {walk.width}"
    page.fill("#ask-input", name)
    page.click("#ask-ok")
    expect(dialog).to_be_hidden()
    expect(page.locator("#console-title")).to_have_text(name)
    walk.back_to_list("console", "#console-channel-list")
    walk.tab("line")
    page.click("#line-add-user")
    page.fill("#ask-input", f"LINE 花子 {walk.width}")
    page.click("#ask-ok")
    expect(page.locator("#line-user-select option:checked")).to_have_text(f"LINE 花子 {walk.width}")
    walk.check_clean()
