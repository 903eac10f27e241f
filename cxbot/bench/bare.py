"""`gunicorn cxbot.bench.bare:app`: the baseline for the ingest figures.

The shape of line-bot-sdk's Flask echo sample with nothing behind it: read the raw
body, check x-line-signature (HMAC-SHA256 with the channel secret, Base64), answer
200. No JSON parsing, no database. Same route as cxbot's so the same load hits it.
The secret comes from CXBOT_BENCH_CHANNEL_SECRET.
"""

import base64
import hashlib
import hmac
import os

from flask import Flask, abort, request

app = Flask(__name__)
CHANNEL_SECRET = os.environ["CXBOT_BENCH_CHANNEL_SECRET"].encode("utf-8")


@app.post("/webhooks/line/<token>")
def callback(token: str):
    signature = request.headers.get("X-Line-Signature", "")
    body = request.get_data()
    expected = base64.b64encode(hmac.new(CHANNEL_SECRET, body, hashlib.sha256).digest()).decode("ascii")
    if not hmac.compare_digest(expected, signature):
        abort(400)
    return "OK"
