"""Messages LINE WORKS would reject are refused before they are sent, naming the field and
the limit (shared/reference/lineworks-api-2.md §3.2-3.3); the boundaries themselves pass.
"""

from contextlib import contextmanager

import pytest

from cxbot.works import messages as m
from cxbot.works.checks import validate_content
from cxbot.works.limits import MessageLimitError


@contextmanager
def raises_on(field: str):
    """Expect a MessageLimitError that names exactly ``field``."""
    with pytest.raises(MessageLimitError) as info:
        yield info
    assert info.value.field == field, str(info.value)
    assert str(info.value).startswith(f"{field}: ")


# --- Boundaries pass ---------------------------------------------------------------


def test_exactly_2000_characters_of_japanese_text_pass():
    assert len(m.text("あ" * 2000)["text"]) == 2000


def test_exactly_10_buttons_pass():
    actions = [m.message_action(f"B{i}") for i in range(10)]
    assert len(m.button_template("pick", actions)["actions"]) == 10


def test_exactly_20_character_japanese_label_passes():
    label = "ボタン" * 6 + "です"
    assert len(label) == 20
    assert m.message_action(label)["label"] == label
    m.button_template("pick", [m.message_action(label)])


def test_exactly_13_quick_replies_and_4_list_elements_pass():
    m.text("x", quick_reply=[m.message_action(str(i), text=str(i)) for i in range(13)])
    m.list_template([m.list_element(str(i)) for i in range(4)])


def test_carousel_text_limit_depends_on_image_or_title():
    m.carousel([m.carousel_column("あ" * 120, [m.message_action("a", text="a")])])
    with raises_on("columns[0].text") as info:
        m.carousel([m.carousel_column("あ" * 61, [m.message_action("a", text="a")], title="t")])
    assert info.value.limit == 60


# --- Limits raise --------------------------------------------------------------------


def test_11_buttons():
    with raises_on("actions[10]") as info:
        m.button_template("pick", [m.message_action(f"B{i}") for i in range(11)])
    assert info.value.limit == 10
    assert str(info.value) == "actions[10]: a button template allows at most 10 buttons"


def test_21_character_label():
    with raises_on("label") as info:
        m.message_action("x" * 21)
    assert info.value.limit == 20
    assert "21 characters, the limit is 20" in str(info.value)


def test_long_label_in_hand_built_template_names_its_path():
    content = {
        "type": "button_template",
        "contentText": "pick",
        "actions": [{"type": "message", "label": "ok"}] * 2 + [{"type": "message", "label": "x" * 23}],
    }
    with raises_on("actions[2].label") as info:
        validate_content(content)
    assert str(info.value) == "actions[2].label: 23 characters, the limit is 20"


def test_2001_character_text():
    with raises_on("text") as info:
        m.text("あ" * 2001)
    assert info.value.limit == 2000


def test_empty_text():
    with raises_on("text"):
        m.text("")


def test_14_quick_replies():
    with raises_on("quickReply.items[13]") as info:
        m.text("x", quick_reply=[m.message_action(str(i), text=str(i)) for i in range(14)])
    assert info.value.limit == 13


def test_empty_quick_reply():
    with raises_on("quickReply.items"):
        validate_content({"type": "text", "text": "x", "quickReply": {"items": []}})


def test_postback_in_button_template():
    with raises_on("actions[1].type") as info:
        m.button_template("pick", [m.message_action("ok"), m.postback_action("Buy", "buy")])
    assert "postback" in str(info.value) and "message, uri, copy" in str(info.value)


def test_quick_reply_postback_without_display_text():
    with raises_on("quickReply.items[0].action.displayText"):
        m.quick_reply([m.postback_action("Buy", "action=buy")])


def test_quick_reply_message_needs_text():
    with raises_on("quickReply.items[0].action.text"):
        m.quick_reply([m.message_action("Yes")])


def test_camera_outside_quick_reply():
    with raises_on("actions[0].type"):
        m.button_template("pick", [m.camera_action("Camera")])


def test_5_list_elements():
    with raises_on("elements[4]") as info:
        m.list_template([m.list_element(str(i)) for i in range(5)])
    assert info.value.limit == 4


def test_list_element_needs_title():
    with raises_on("elements[0].title"):
        validate_content({"type": "list_template", "elements": [{"subtitle": "x"}]})


def test_list_bottom_buttons_at_most_2_by_2():
    with raises_on("actions[2]"):
        m.list_template([m.list_element("x")], actions=[m.message_action(str(i)) for i in range(5)])
    with raises_on("actions[0][2]"):
        m.list_template([m.list_element("x")], actions=[[m.message_action(str(i)) for i in range(3)]])


def test_11_carousel_columns():
    columns = [m.carousel_column(str(i), [m.message_action("a", text="a")]) for i in range(11)]
    with raises_on("columns[10]") as info:
        m.carousel(columns)
    assert info.value.limit == 10


def test_uneven_carousel_actions():
    columns = [
        m.carousel_column("one", [m.message_action("a", text="a"), m.message_action("b", text="b")]),
        m.carousel_column("two", [m.message_action("a", text="a")]),
    ]
    with raises_on("columns[1].actions") as info:
        m.carousel(columns)
    assert info.value.limit == 2


def test_carousel_columns_must_agree_on_title():
    columns = [
        m.carousel_column("one", [m.message_action("a", text="a")], title="T"),
        m.carousel_column("two", [m.message_action("a", text="a")]),
    ]
    with raises_on("columns[1].title"):
        m.carousel(columns)


def test_carousel_column_at_most_3_actions():
    with raises_on("columns[0].actions[3]"):
        m.carousel([m.carousel_column("x", [m.message_action(str(i), text="t") for i in range(4)])])


def test_image_carousel_label_is_12():
    with raises_on("columns[0].action.label") as info:
        m.image_carousel([m.image_carousel_column(file_id="f", action=m.postback_action("x" * 13, "d"))])
    assert info.value.limit == 12


def test_bad_uri_scheme():
    with raises_on("uri") as info:
        m.uri_action("Site", "javascript:alert(1)")
    assert info.value.limit == "http/https"
    with raises_on("uri"):
        m.uri_action("Site", "ftp://example.com/file")


def test_image_urls_must_be_https():
    with raises_on("originalContentUrl"):
        m.image("http://example.com/a.png")


def test_image_needs_a_source_but_not_two():
    with raises_on("originalContentUrl"):
        m.image()
    with raises_on("fileId"):
        m.image("https://example.com/a.png", file_id="f")


def test_action_field_limits():
    with raises_on("data"):
        m.postback_action("x", "d" * 301)
    with raises_on("displayText"):
        m.postback_action("x", "d", display_text="t" * 301)
    with raises_on("text"):
        m.message_action("x", text="t" * 301)
    with raises_on("postback"):
        m.message_action("x", postback="p" * 1001)
    with raises_on("copyText"):
        m.copy_action("x", "c" * 1001)
    with raises_on("uri"):
        m.uri_action("x", "https://example.com/" + "a" * 981)
    m.postback_action("x", "d" * 300, display_text="t" * 300)
    m.message_action("x", text="t" * 300, postback="p" * 1000)


def test_unknown_content_type():
    with raises_on("type"):
        validate_content({"type": "hologram"})


def test_button_template_content_text_limit():
    with raises_on("contentText") as info:
        m.button_template("x" * 1001, [m.message_action("ok")])
    assert info.value.limit == 1000
