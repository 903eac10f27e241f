"""Load generation for `cxbot bench`: signed LINE webhook bodies, a lean keep-alive
HTTP/1.1 client, a closed loop (N clients as fast as they can) and an open loop
(sends scheduled at fixed intervals, whatever the server does).

The client speaks HTTP over a raw socket rather than http.client or httpx: on a
2-core machine the load generator shares the CPUs with the servers it measures, and
a cheaper client leaves more of them to the server (and distorts the bare-Flask
baseline, where the server does almost nothing, least).
"""

from __future__ import annotations

import itertools
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from cxbot.base.signatures import sign

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid() -> str:
    """A webhookEventId as LINE makes them: 48-bit ms time + 80 random bits, Crockford base32."""
    value = (int(time.time() * 1000) & ((1 << 48) - 1)) << 80 | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


class LineEvents:
    """Signed one-text-event webhook bodies, shaped as the LINE Platform sends them
    (compact UTF-8 JSON, `destination` + `events`, a unique webhookEventId each)."""

    def __init__(self, channel_secret: str, destination: str, user_ids: list[str]):
        self.secret = channel_secret
        self.destination = destination
        self.user_ids = user_ids
        self._seq = itertools.count(1)

    def next(self) -> tuple[int, bytes, str]:
        """(sequence number, raw body, x-line-signature); the text carries `bench#<seq>`."""
        seq = next(self._seq)
        now_ms = int(time.time() * 1000)
        event = {
            "type": "message",
            "message": {"type": "text", "id": str(500000000000000 + seq), "quoteToken": secrets.token_urlsafe(24),
                        "text": f"注文した商品がまだ届きません。確認をお願いします bench#{seq}"},
            "webhookEventId": ulid(),
            "deliveryContext": {"isRedelivery": False},
            "timestamp": now_ms,
            "source": {"type": "user", "userId": self.user_ids[seq % len(self.user_ids)]},
            "replyToken": secrets.token_hex(16),
            "mode": "active",
        }
        raw = json.dumps({"destination": self.destination, "events": [event]},
                         separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return seq, raw, sign(self.secret, raw)


class Conn:
    """One keep-alive HTTP/1.1 connection; `post()` returns the status code."""

    def __init__(self, host: str, port: int, path: str):
        self.addr = (host, port)
        self.head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     "Content-Type: application/json; charset=utf-8\r\nUser-Agent: LineBotWebhook/2.0\r\n")
        self.sock: socket.socket | None = None
        self.buf = b""

    def _connect(self) -> None:
        self.sock = socket.create_connection(self.addr, timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _recv(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def post(self, body: bytes, signature: str) -> int:
        """POST and read the answer. A reused connection the server has meanwhile closed (its
        keep-alive timeout) is reopened and the request sent once more, as HTTP clients do;
        the webhookEventId makes a repeat harmless anyway."""
        request = (self.head + f"x-line-signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        for attempt in (1, 2):
            fresh = self.sock is None
            if fresh:
                self._connect()
            try:
                return self._exchange(request)
            except (OSError, ValueError):
                self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _exchange(self, request: bytes) -> int:
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status = int(head[9:12])
        length, close_after = None, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close_after = value.strip().lower() == b"close"
        if length is None:
            raise ConnectionError("response without Content-Length")
        while len(self.buf) < length:
            self._recv()
        self.buf = self.buf[length:]
        if close_after:
            self.close()
        return status


@dataclass
class Result:
    """What one load phase saw. Latencies in seconds."""

    elapsed: float = 0.0
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)  # open loop: actual send - scheduled send
    sent_at: dict[int, float] = field(default_factory=dict)  # seq -> wall-clock time of the POST (open loop)
    error_samples: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    def merge(self, other: "Result") -> None:
        self.ok += other.ok
        self.errors += other.errors
        self.latencies += other.latencies
        self.lags += other.lags
        self.sent_at.update(other.sent_at)
        self.error_samples += other.error_samples[: max(0, 5 - len(self.error_samples))]


def _one(conn: Conn, events: LineEvents, out: Result) -> tuple[int, float, float] | None:
    """Send one event; (seq, wall-clock start, latency) on a 200, None otherwise."""
    seq, body, sig = events.next()
    wall = time.time()
    start = time.perf_counter()
    try:
        status = conn.post(body, sig)
    except (OSError, ValueError) as exc:
        out.errors += 1
        if len(out.error_samples) < 5:
            out.error_samples.append(f"{exc.__class__.__name__}: {exc}")
        return None
    latency = time.perf_counter() - start
    if status != 200:
        out.errors += 1
        if len(out.error_samples) < 5:
            out.error_samples.append(f"HTTP {status}")
        return None
    out.ok += 1
    out.latencies.append(latency)
    return seq, wall, latency


def _run_threads(n: int, target: Callable[[int, Result], None]) -> Result:
    parts = [Result() for _ in range(n)]
    threads = [threading.Thread(target=target, args=(i, parts[i]), name=f"bench-load-{i}", daemon=True)
               for i in range(n)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = Result(elapsed=time.perf_counter() - start)
    for p in parts:
        total.merge(p)
    return total


def closed_loop(host: str, port: int, path: str, events: LineEvents, clients: int, duration: float) -> Result:
    """`clients` connections, each sending the next request as soon as the last is answered."""
    deadline = time.perf_counter() + duration

    def client(_i: int, out: Result) -> None:
        conn = Conn(host, port, path)
        try:
            while time.perf_counter() < deadline:
                _one(conn, events, out)
        finally:
            conn.close()

    # Elapsed runs to the last answer, so the few requests in flight at the deadline count fairly.
    return _run_threads(clients, client)


def open_loop(host: str, port: int, path: str, events: LineEvents, rate: float, duration: float,
              senders: int | None = None) -> Result:
    """Sends at fixed intervals of 1/rate for `duration`, spread over `senders` connections
    (slot i goes to sender i % senders), so a slow answer does not hold back the schedule.

    Latency is measured from the moment the request is written; how late each send was
    against its schedule is kept in `lags`, so a generator that could not keep up (which
    would hide server latency: coordinated omission) shows in the figures."""
    slots = max(1, int(rate * duration))
    senders = senders or max(8, min(64, int(rate * 0.16)))
    start_at = time.perf_counter() + 0.05

    def sender(i: int, out: Result) -> None:
        conn = Conn(host, port, path)
        try:
            for slot in range(i, slots, senders):
                due = start_at + slot / rate
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                out.lags.append(max(0.0, time.perf_counter() - due))
                got = _one(conn, events, out)
                if got is not None:
                    out.sent_at[got[0]] = got[1]
        finally:
            conn.close()

    return _run_threads(senders, sender)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]
