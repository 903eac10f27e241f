"""File names of attachments as LINE WORKS sends them in Content-Disposition: the name a
customer gave their file reaches the room unchanged."""

from __future__ import annotations

import pytest

from cxbot.works import client


@pytest.mark.parametrize("header, name", [
    ("attachment; filename=manual.pdf", "manual.pdf"),
    ("attachment; filename=\" 2024.pdf\"; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8%202024.pdf", "見積書 2024.pdf"),
    ("attachment; filename*=UTF-8''%E5%86%99%E7%9C%9F.png; filename=\"x.png\"", "写真.png"),
    ('attachment; filename="a b\\"c.pdf"', 'a b"c.pdf'),
    ("inline; filename=\"=?UTF-8?B?5YaZ55yfLnBuZw==?=\"", "写真.png"),
    ("attachment; filename=\"C:\\\\Users\\\\me\\\\report.docx\"", "report.docx"),
    ("attachment; filename*=utf-8'ja'%E5%86%99%E7%9C%9F.png", "写真.png"),  # a language tag
    ("attachment; filename*=ISO-8859-1''caf%E9.txt", "café.txt"),  # another charset
    ('attachment; filename="a;b.pdf"', "a;b.pdf"),  # a separator inside the quotes
    ('attachment; filename="../../etc/passwd"', "passwd"),  # never a path
    ('attachment; filename=""', None),
    ("attachment", None),
])
def test_content_disposition_names_are_read_as_sent(header, name):
    assert client.disposition_filename(header) == name
