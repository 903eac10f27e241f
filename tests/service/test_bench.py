"""`cxbot bench --quick --json` and a small `cxbot bench --surge --json` run end to end and
report every figure with sane values.

The targets (ratio, ack p99, relay p99, RSS) are printed by the bench, never asserted
here: they depend on the machine. This checks that each phase really ran: the signed
webhooks were accepted (no 401s), relayed messages reached the sandbox's rooms, and
every process's peak RSS was read.
"""

from __future__ import annotations

import json
import subprocess
import sys


def test_quick_bench_reports_every_figure():
    done = subprocess.run([sys.executable, "-m", "cxbot.cli", "bench", "--quick", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)

    ingest = figures["ingest"]
    for side in ("cxbot", "bare_flask"):
        stats = ingest[side]
        assert stats["requests"] > 0 and stats["errors"] == 0, (side, stats)
        assert stats["throughput_rps"] > 0
        assert 0 < stats["p50_ms"] <= stats["p99_ms"] <= stats["max_ms"]
        assert stats["server_cpu_ms_per_request"] > 0
    assert ingest["ratio"] > 0 and isinstance(ingest["pass"], bool)

    ack = figures["ack"]
    assert ack["requests"] > 0 and ack["errors"] == 0
    assert 0 < ack["p50_ms"] <= ack["p99_ms"]
    assert isinstance(ack["pass"], bool)

    relay = figures["relay"]
    assert relay["sent"] > 0 and relay["send_errors"] == 0
    assert relay["seen"] == relay["sent"] and relay["lost"] == 0, relay
    assert 0 < relay["p50_ms"] <= relay["p99_ms"] <= relay["max_ms"]
    assert relay["delivered_rps"] > 0 and relay["rooms"] >= 2

    rss = figures["rss"]["processes"]
    names = [row["process"] for row in rss]
    assert sum(1 for n in names if n.startswith("cxbot gunicorn worker")) == 2, names
    assert any(n.startswith("cxbot worker") for n in names), names
    assert all(row["peak_rss_mb"] > 0 for row in rss), rss
    assert isinstance(figures["rss"]["pass"], bool)


def test_a_small_surge_reports_every_figure_and_loses_nothing():
    """`cxbot bench --surge`, small and fast (30 LINE and 4 mail customers at time scale 20):
    its report is whole, nothing is lost or out of order, and those who came while rooms were
    over a minute away heard so once, LINE customers through their reply tokens only."""
    done = subprocess.run([sys.executable, "-m", "cxbot.cli", "bench", "--surge", "--customers", "30", "--mail", "4",
                           "--answers", "2", "--time-scale", "20", "--over", "20", "--json"],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)
    assert figures["complete"], figures  # every customer got a room of their own
    assert figures["delivery"] == {"lost": 0, "out_of_order": 0, "pass": True}
    assert figures["setup"]["time_scale"] == 20 and figures["setup"]["customers"] == 30
    visible, own = figures["visible"], figures["own_room"]
    assert 0 < visible["p95_s"] <= visible["max_s"] < 600
    assert own["floor_s"] == 34 / 10 * 60 and own["ratio"] > 0.5
    assert figures["budget"]["busiest"] and figures["rate_limited"]["calls"] > 0
    assert figures["posts"]["room_posts"] > 0 and figures["posts"]["messages"] >= 34
    assert figures["answers"]["asked"] == figures["answers"]["answered"] == 2
    heard = figures["heard_back"]
    # 30 customers queue past a minute of rooms: all but the first dozen came in the surge, the
    # last mail customer (at 15 platform-s) among them.
    assert heard["line"]["marked"] > 0 and heard["mail"]["marked"] > 0, heard
    for side in ("line", "mail"):
        assert heard[side]["replied"] == heard[side]["marked"] and heard[side]["twice"] == 0, heard
        assert heard[side]["unmarked_told"] == 0, heard
    assert heard["line"]["pushed"] == 0 and heard["pass"]
