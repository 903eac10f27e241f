"""Callback bodies become typed events.

Bodies are the examples of shared/reference/lineworks-api-2.md §2.5-2.6.
"""

import json
from datetime import UTC, datetime

import pytest

from cxbot.works.events import (
    AudioContent,
    BeginEvent,
    EndEvent,
    EventParseError,
    FileContent,
    ImageContent,
    JoinedEvent,
    JoinEvent,
    LeaveEvent,
    LeftEvent,
    LocationContent,
    MessageEvent,
    PostbackEvent,
    Source,
    StickerContent,
    TextContent,
    UnknownContent,
    UnknownEvent,
    VideoContent,
    parse_event,
)

USER = "c72af563-0f21-4736-11e4-045237113344"
MEMBER = "userf7da-f82c-4284-13e7-030f3b4c756x"
ISSUED = datetime(2022, 1, 4, 5, 16, 5, 716000, tzinfo=UTC)
GROUP_SOURCE = {"userId": USER, "channelId": "12345", "domainId": 40029600}


def message(content, source=GROUP_SOURCE):
    return {"type": "message", "source": source, "issuedTime": "2022-01-04T05:16:05.716Z", "content": content}


def test_text_message_from_raw_bytes():
    body = json.dumps(message({"type": "text", "text": "hello"}), separators=(",", ":")).encode()
    event = parse_event(body)
    assert event == MessageEvent(
        type="message",
        source=Source(user_id=USER, channel_id="12345", domain_id=40029600),
        issued_time=ISSUED,
        raw=json.loads(body),
        content=TextContent(text="hello"),
    )


def test_text_with_postback():
    event = parse_event(message({"type": "text", "text": "FAQ", "postback": "ButtonTemplate_FAQ"}))
    assert event.content == TextContent(text="FAQ", postback="ButtonTemplate_FAQ")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"type": "image", "fileId": "jp1.img"}, ImageContent(file_id="jp1.img")),
        ({"type": "file", "fileId": "jp1.file"}, FileContent(file_id="jp1.file")),
        ({"type": "audio", "fileId": "jp1.aud"}, AudioContent(file_id="jp1.aud")),
        ({"type": "video", "fileId": "jp1.vid"}, VideoContent(file_id="jp1.vid")),
        ({"type": "sticker", "packageId": "1", "stickerId": "2"}, StickerContent(package_id="1", sticker_id="2")),
        (
            {"type": "location", "address": "Tokyo", "latitude": 35.68, "longitude": 139.76},
            LocationContent(address="Tokyo", latitude=35.68, longitude=139.76),
        ),
        (
            {"type": "location", "title": "HQ", "address": "Tokyo", "latitude": 35, "longitude": 139.76},
            LocationContent(address="Tokyo", latitude=35.0, longitude=139.76, title="HQ"),
        ),
    ],
)
def test_message_content_types(content, expected):
    event = parse_event(message(content))
    assert isinstance(event, MessageEvent)
    assert event.content == expected
    assert event.content.type == content["type"]


def test_unknown_content_type_is_kept_raw():
    content = {"type": "poll", "question": "?"}
    event = parse_event(message(content))
    assert event.content == UnknownContent(type="poll", raw=content)


def test_postback():
    event = parse_event(
        {"type": "postback", "source": GROUP_SOURCE, "issuedTime": "2022-01-04T05:16:05.716Z", "data": "action=buy"}
    )
    assert isinstance(event, PostbackEvent)
    assert event.data == "action=buy"
    assert event.source.user_id == USER


def test_join_with_second_precision_time():
    event = parse_event(
        '{"type":"join","source":{"channelId":"12345","domainId":40029600},"issuedTime":"2022-01-04T05:16:05Z"}'
    )
    assert isinstance(event, JoinEvent)
    assert event.issued_time == datetime(2022, 1, 4, 5, 16, 5, tzinfo=UTC)
    assert event.source == Source(channel_id="12345", domain_id=40029600)


def test_leave():
    event = parse_event(
        {"type": "leave", "source": {"channelId": "12345", "domainId": 40029600}, "issuedTime": "2022-01-04T05:16:05.716Z"}
    )
    assert isinstance(event, LeaveEvent)
    assert event.issued_time == ISSUED


@pytest.mark.parametrize(("kind", "cls"), [("joined", JoinedEvent), ("left", LeftEvent)])
def test_joined_and_left_carry_members(kind, cls):
    event = parse_event(
        {
            "type": kind,
            "source": {"channelId": "12345", "domainId": 40029600},
            "issuedTime": "2022-01-04T05:16:05.716Z",
            "members": [MEMBER],
        }
    )
    assert isinstance(event, cls)
    assert event.members == (MEMBER,)
    hash(event)  # frozen events can key sets and dicts despite the raw dict


@pytest.mark.parametrize(("kind", "cls"), [("begin", BeginEvent), ("end", EndEvent)])
def test_begin_and_end_carry_the_user_and_the_talk(kind, cls):
    event = parse_event(
        {
            "type": kind,
            "source": {"userId": "user0001-e3e9-4063-1d22-04978003f354", "channelId": "12345", "domainId": 40029600},
            "issuedTime": "2022-01-04T05:16:05.716Z",
        }
    )
    assert isinstance(event, cls)
    assert event.source == Source(user_id="user0001-e3e9-4063-1d22-04978003f354", channel_id="12345",
                                  domain_id=40029600)


def test_a_one_to_one_message_may_come_without_a_channel_id():
    event = parse_event(message({"type": "text", "text": "hi"}, source={"userId": USER, "domainId": 40029600}))
    assert event.source == Source(user_id=USER, domain_id=40029600)


def test_unknown_event_type_does_not_raise():
    body = {"type": "reaction", "source": GROUP_SOURCE, "emoji": "👍"}
    event = parse_event(body)
    assert isinstance(event, UnknownEvent)
    assert event.type == "reaction"
    assert event.raw == body
    assert event.issued_time is None


def test_other_time_zones_are_converted_to_utc():
    event = parse_event({"type": "join", "issuedTime": "2022-01-04T14:16:05+09:00"})
    assert event.issued_time == datetime(2022, 1, 4, 5, 16, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"type": "message",', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        ("[]", "must be a JSON object, got an array"),
        ('"message"', "must be a JSON object"),
        ('{"source": {}}', "no event 'type'"),
        ({"type": ""}, "no event 'type'"),
        ({"type": "message"}, "'content' must be an object"),
        ({"type": "message", "content": {"type": "image"}}, "'fileId' is missing"),
        ({"type": "postback"}, "'data' is missing"),
        ({"type": "joined", "members": "u1"}, "'members' must be an array"),
        ({"type": "join", "issuedTime": "yesterday"}, "issuedTime"),
        ({"type": "join", "source": []}, "'source' must be an object"),
    ],
)
def test_malformed_bodies_raise(body, says):
    with pytest.raises(EventParseError, match=says):
        parse_event(body)


def test_parse_error_is_a_value_error():
    assert issubclass(EventParseError, ValueError)
