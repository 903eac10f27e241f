"""Message builders produce the documented JSON and refuse what LINE WORKS would reject.

Expected shapes come from shared/reference/lineworks-api-2.md §3.2-3.3.
"""

from contextlib import contextmanager

import pytest

from cxbot.works import messages as m
from cxbot.works.messages import MessageLimitError


@contextmanager
def raises_on(field: str):
    """Expect a MessageLimitError that names exactly ``field``."""
    with pytest.raises(MessageLimitError) as info:
        yield info
    assert info.value.field == field, str(info.value)
    assert str(info.value).startswith(f"{field}: ")


# --- Shapes ------------------------------------------------------------------------


def test_text():
    assert m.text("hello") == {"type": "text", "text": "hello"}


def test_sticker_ids_are_strings():
    assert m.sticker(1, "2") == {"type": "sticker", "packageId": "1", "stickerId": "2"}


def test_image_from_urls_and_from_file_id():
    assert m.image(
        original_url="https://example.com/image.png", preview_url="https://example.com/preview.png"
    ) == {
        "type": "image",
        "previewImageUrl": "https://example.com/preview.png",
        "originalContentUrl": "https://example.com/image.png",
    }
    assert m.image(file_id="jp1.1628") == {"type": "image", "fileId": "jp1.1628"}


def test_image_preview_defaults_to_original():
    assert m.image("https://example.com/a.png") == {
        "type": "image",
        "previewImageUrl": "https://example.com/a.png",
        "originalContentUrl": "https://example.com/a.png",
    }


def test_file():
    assert m.file(original_url="https://example.com/a.pdf") == {
        "type": "file",
        "originalContentUrl": "https://example.com/a.pdf",
    }
    assert m.file(file_id="f1") == {"type": "file", "fileId": "f1"}


def test_link():
    assert m.link("Our site", "open", "https://example.com") == {
        "type": "link",
        "contentText": "Our site",
        "linkText": "open",
        "link": "https://example.com",
    }


def test_button_template_matches_reference_example():
    content = m.button_template(
        "What do you want?",
        [
            m.uri_action("WorksMobile Homepage", "https://line.worksmobile.com"),
            m.message_action("FAQ", postback="ButtonTemplate_FAQ"),
        ],
    )
    assert content == {
        "type": "button_template",
        "contentText": "What do you want?",
        "actions": [
            {"type": "uri", "label": "WorksMobile Homepage", "uri": "https://line.worksmobile.com"},
            {"type": "message", "label": "FAQ", "postback": "ButtonTemplate_FAQ"},
        ],
    }


REFERENCE_QUICK_REPLY = {
    "type": "text",
    "text": "Choose",
    "quickReply": {
        "items": [
            {"action": {"type": "message", "label": "Yes", "text": "Yes"}},
            {
                "imageUrl": "https://example.com/i.png",
                "action": {"type": "postback", "label": "Buy", "data": "action=buy", "displayText": "Buy"},
            },
            {"action": {"type": "uri", "label": "Site", "uri": "https://example.com"}},
            {"action": {"type": "camera", "label": "Camera"}},
        ]
    },
}


def test_quick_reply_matches_reference_example():
    content = m.text(
        "Choose",
        quick_reply=m.quick_reply(
            [
                m.message_action("Yes", text="Yes"),
                m.quick_reply_item(
                    m.postback_action("Buy", "action=buy", display_text="Buy"),
                    image_url="https://example.com/i.png",
                ),
                m.uri_action("Site", "https://example.com"),
                m.camera_action("Camera"),
            ]
        ),
    )
    assert content == REFERENCE_QUICK_REPLY


def test_quick_reply_accepts_a_plain_list_of_actions():
    content = m.text("Pick", quick_reply=[m.copy_action("Copy", "abc"), m.location_action("Here")])
    assert content["quickReply"] == {
        "items": [
            {"action": {"type": "copy", "label": "Copy", "copyText": "abc"}},
            {"action": {"type": "location", "label": "Here"}},
        ]
    }


def test_every_action_shape():
    assert m.message_action("A", text="a", postback="p") == {
        "type": "message", "label": "A", "text": "a", "postback": "p"
    }
    assert m.postback_action("B", "x=1") == {"type": "postback", "label": "B", "data": "x=1"}
    assert m.uri_action("C", "http://example.com") == {"type": "uri", "label": "C", "uri": "http://example.com"}
    assert m.copy_action("D", "text") == {"type": "copy", "label": "D", "copyText": "text"}
    assert m.camera_action("E") == {"type": "camera", "label": "E"}
    assert m.camera_roll_action("F") == {"type": "cameraRoll", "label": "F"}
    assert m.location_action("G") == {"type": "location", "label": "G"}


def test_list_template_lays_flat_actions_out_two_to_a_row():
    content = m.list_template(
        [
            m.list_element("First", subtitle="one", original_url="https://example.com/1.png",
                           action=m.message_action("Pick 1")),
            m.list_element("Second"),
        ],
        actions=[m.message_action("More"), m.uri_action("Web", "https://example.com"),
                 m.copy_action("Copy", "x")],
        cover=m.list_cover(title="Menu", background_url="https://example.com/bg.png"),
    )
    assert content == {
        "type": "list_template",
        "coverData": {"backgroundImageUrl": "https://example.com/bg.png", "title": "Menu"},
        "elements": [
            {
                "title": "First",
                "subtitle": "one",
                "originalContentUrl": "https://example.com/1.png",
                "action": {"type": "message", "label": "Pick 1"},
            },
            {"title": "Second"},
        ],
        "actions": [
            [{"type": "message", "label": "More"}, {"type": "uri", "label": "Web", "uri": "https://example.com"}],
            [{"type": "copy", "label": "Copy", "copyText": "x"}],
        ],
    }


def test_list_template_takes_rows_as_given():
    rows = [[m.message_action("A")], [m.message_action("B"), m.message_action("C")]]
    content = m.list_template([m.list_element("x")], actions=rows)
    assert content["actions"] == rows


def test_carousel():
    column = m.carousel_column(
        "Pick me",
        [m.postback_action("Buy", "buy=1"), m.message_action("Ask", text="ask")],
        title="Item",
        original_url="https://example.com/item.png",
        default_action=m.uri_action(None, "https://example.com/item"),
    )
    assert m.carousel([column], aspect_ratio="square") == {
        "type": "carousel",
        "imageAspectRatio": "square",
        "imageSize": "cover",
        "columns": [
            {
                "originalContentUrl": "https://example.com/item.png",
                "title": "Item",
                "text": "Pick me",
                "defaultAction": {"type": "uri", "uri": "https://example.com/item"},
                "actions": [
                    {"type": "postback", "label": "Buy", "data": "buy=1"},
                    {"type": "message", "label": "Ask", "text": "ask"},
                ],
            }
        ],
    }


def test_image_carousel():
    assert m.image_carousel(
        [m.image_carousel_column(file_id="f1", action=m.postback_action("Twelve chars", "d"))]
    ) == {
        "type": "image_carousel",
        "columns": [{"fileId": "f1", "action": {"type": "postback", "label": "Twelve chars", "data": "d"}}],
    }


def test_validate_content_accepts_hand_built_reference_examples():
    m.validate_content(REFERENCE_QUICK_REPLY)
    m.validate_content({"type": "sticker", "packageId": "1", "stickerId": "2"})
    m.validate_content(
        {"type": "location", "title": "HQ", "address": "Tokyo", "latitude": 35.6, "longitude": 139.7}
    )
    m.validate_content({"type": "flex", "altText": "card", "contents": {"type": "bubble"}})


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
        m.validate_content(content)
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
        m.validate_content({"type": "text", "text": "x", "quickReply": {"items": []}})


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
        m.validate_content({"type": "list_template", "elements": [{"subtitle": "x"}]})


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
        m.validate_content({"type": "hologram"})


def test_button_template_content_text_limit():
    with raises_on("contentText") as info:
        m.button_template("x" * 1001, [m.message_action("ok")])
    assert info.value.limit == 1000
