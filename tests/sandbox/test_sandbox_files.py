"""The LINE WORKS sandbox's rules for files, as the docs state them, with the platform's
error status and body: a bot's photoUrl (HTTPS, a PNG), the file types file security
blocks (at the file message, or at the upload: each reading), the largest upload."""

from __future__ import annotations

import io
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response
from PIL import Image

from cxbot.base.serving import serve_in_thread
from cxbot.sandbox import World, create_app

BOT_ID = 2000001


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 200)).save(out, fmt)
    return out.getvalue()


@pytest.fixture(scope="module")
def images():
    """A web server with a PNG, a JPEG, a page and a missing file, on loopback."""
    app = Flask("images")
    served = {"bot.png": (_image("PNG"), "image/png"), "bot.jpg": (_image("JPEG"), "image/jpeg"),
              "page.png": (b"<html>moved</html>", "text/html")}

    @app.get("/<name>")
    def image(name: str):
        if name not in served:
            return "", 404
        return Response(served[name][0], mimetype=served[name][1])

    srv = serve_in_thread(app, name="images")
    yield srv.url
    srv.stop()


@pytest.fixture(scope="module")
def sandbox():
    srv = serve_in_thread(create_app(World()), name="sandbox")
    yield srv
    srv.stop()


class Tenant:
    def __init__(self, client: httpx.Client, token: str):
        self.client = client
        self.token = token

    def api(self, method: str, path: str, **kw) -> httpx.Response:
        return self.client.request(method, "/v1.0" + path, headers={"Authorization": f"Bearer {self.token}"}, **kw)

    def settings(self, **values) -> None:
        self.client.post("/_sandbox/settings", json=values).raise_for_status()

    def bot(self, **fields) -> httpx.Response:
        return self.api("POST", "/bots", json={"botName": "総務窓口", "description": "総務への問い合わせ",
                                               "administrators": ["admin-1"], **fields})

    def upload(self, file_name: str, data: bytes) -> tuple[httpx.Response, str | None]:
        slot = self.api("POST", f"/bots/{BOT_ID}/attachments", json={"fileName": file_name})
        if slot.status_code != 200:
            return slot, None
        resp = self.client.post(slot.json()["uploadUrl"], files={"FileData": (file_name, data)},
                                headers={"Authorization": f"Bearer {self.token}"})
        return resp, slot.json()["fileId"]

    def send_file(self, file_id: str) -> httpx.Response:
        return self.api("POST", f"/bots/{BOT_ID}/users/member-1/messages",
                        json={"content": {"type": "file", "fileId": file_id}})


@pytest.fixture
def tenant(sandbox):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    client = httpx.Client(base_url=sandbox.url, timeout=15, trust_env=False)
    client.post("/_sandbox/reset").raise_for_status()
    client.post("/_sandbox/apps", json={"clientId": "c1", "clientSecret": "s1", "serviceAccount": "sa@example.com",
                                        "publicKey": public, "scopes": ["bot"]}).raise_for_status()
    client.post("/_sandbox/users", json=[
        {"userId": "admin-1", "email": "admin@example.com", "lastName": "管理", "firstName": "太郎"},
        {"userId": "member-1", "email": "member@example.com", "lastName": "社員", "firstName": "花子"},
    ]).raise_for_status()
    client.post("/_sandbox/bots", json={"botId": BOT_ID, "botName": "cxbot", "enableCallback": False,
                                        "callbackUrl": "", "domains": [{"domainId": 40029600, "visible": True}]}
                ).raise_for_status()
    now = time.time()
    assertion = jwt.encode({"iss": "c1", "sub": "sa@example.com", "iat": now, "exp": now + 600}, key,
                           algorithm="RS256")
    token = client.post("/oauth2/v2.0/token", data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion,
        "client_id": "c1", "client_secret": "s1", "scope": "bot"}).json()["access_token"]
    yield Tenant(client, token)
    client.close()


def _refused(resp: httpx.Response, status: int, code: str, *words: str) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["code"] == code and set(body) == {"code", "description"}
    for word in words:
        assert word in body["description"]


# --------------------------------------------------------------------------- photoUrl


def test_a_photo_url_that_serves_a_png_is_taken(tenant, images):
    assert tenant.bot(photoUrl=f"{images}/bot.png").status_code == 201


@pytest.mark.parametrize("name, words", [
    ("bot.jpg", ("PNG", "image/jpeg")),
    ("page.png", ("PNG", "text/html")),  # the name says PNG, the bytes do not
    ("gone.png", ("404",)),
])
def test_a_photo_url_that_does_not_serve_a_png_is_refused(tenant, images, name, words):
    _refused(tenant.bot(photoUrl=f"{images}/{name}"), 400, "INVALID_PARAMETER", "photoUrl", *words)


def test_a_photo_url_must_be_https(tenant):
    _refused(tenant.bot(photoUrl="http://cxbot.example.com/media/x/bot.png"), 400, "INVALID_PARAMETER",
             "photoUrl", "https")


def test_an_i18n_photo_url_is_held_to_the_same_rule(tenant, images):
    r = tenant.bot(photoUrl=f"{images}/bot.png", i18nPhotoUrls=[{"language": "en_US", "photoUrl": f"{images}/bot.jpg"}])
    _refused(r, 400, "INVALID_PARAMETER", "i18nPhotoUrls[0].photoUrl", "PNG")


def test_a_photo_change_is_checked_too(tenant, images):
    bot_id = tenant.bot(photoUrl=f"{images}/bot.png").json()["botId"]
    _refused(tenant.api("PATCH", f"/bots/{bot_id}", json={"photoUrl": f"{images}/bot.jpg"}), 400,
             "INVALID_PARAMETER", "PNG")


def test_without_the_fetch_only_the_url_is_checked(tenant, images):
    tenant.settings(fetchPhotoUrls=False)
    assert tenant.bot(photoUrl=f"{images}/bot.jpg").status_code == 201
    assert tenant.bot(photoUrl="http://cxbot.example.com/bot.png").status_code == 400


# --------------------------------------------------------------------------- blocked types, size


def test_a_blocked_type_is_refused_at_the_file_message_by_default(tenant):
    resp, file_id = tenant.upload("setup.EXE", b"MZ")
    assert resp.status_code == 200
    _refused(tenant.send_file(file_id), 400, "INVALID_PARAMETER", ".exe", "file security")
    resp, file_id = tenant.upload("manual.pdf", b"%PDF-1.4")
    assert tenant.send_file(file_id).status_code == 201


def test_a_blocked_type_is_refused_at_the_upload_in_the_other_reading(tenant):
    tenant.settings(blockedFileCheck="upload")
    resp, _ = tenant.upload("run.js", b"alert(1)")
    _refused(resp, 400, "INVALID_PARAMETER", "fileName", ".js")
    resp, file_id = tenant.upload("manual.pdf", b"%PDF-1.4")
    assert resp.status_code == 200 and tenant.send_file(file_id).status_code == 201


@pytest.mark.parametrize("reading", ["send", "upload"])
def test_the_admin_may_block_more_types_or_fewer(tenant, reading):
    tenant.settings(blockedFileCheck=reading, blockedFileExtensions=["zip"])
    resp, file_id = tenant.upload("logs.zip", b"PK")
    refused = resp if reading == "upload" else tenant.send_file(file_id)
    _refused(refused, 400, "INVALID_PARAMETER", ".zip")
    resp, file_id = tenant.upload("tool.exe", b"MZ")
    assert resp.status_code == 200 and tenant.send_file(file_id).status_code == 201


def test_an_upload_over_the_largest_file_is_refused(tenant):
    tenant.settings(maxFileBytes=1000)
    resp, _ = tenant.upload("big.pdf", b"x" * 1001)
    _refused(resp, 403, "LIMIT_EXCEEDED", "1001", "1000")
    resp, file_id = tenant.upload("small.pdf", b"x" * 1000)
    assert resp.status_code == 200 and tenant.send_file(file_id).status_code == 201


def test_the_doc_examples_part_name_is_taken_too(tenant):
    slot = tenant.api("POST", f"/bots/{BOT_ID}/attachments", json={"fileName": "a.pdf"}).json()
    resp = tenant.client.post(slot["uploadUrl"], files={"Filedata": ("a.pdf", b"%PDF")},
                              headers={"Authorization": f"Bearer {tenant.token}"})
    assert resp.status_code == 200 and tenant.send_file(slot["fileId"]).status_code == 201


def test_a_bad_setting_is_refused(tenant):
    assert tenant.client.post("/_sandbox/settings", json={"blockedFileCheck": "never"}).status_code == 400
    assert tenant.client.post("/_sandbox/settings", json={"blockedFileExtensions": "exe"}).status_code == 400
