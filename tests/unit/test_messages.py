"""Message builders produce the documented JSON (shared/reference/lineworks-api-2.md §3.2-3.3).

What they refuse is in tests/test_message_limits.py.
"""

from cxbot.works import messages as m
from cxbot.works.checks import validate_content

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
    validate_content(REFERENCE_QUICK_REPLY)
    validate_content({"type": "sticker", "packageId": "1", "stickerId": "2"})
    validate_content(
        {"type": "location", "title": "HQ", "address": "Tokyo", "latitude": 35.6, "longitude": 139.7}
    )
    validate_content({"type": "flex", "altText": "card", "contents": {"type": "bubble"}})
