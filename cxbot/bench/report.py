"""The `cxbot bench` table: figures with their targets (PASS / MISS)."""

from __future__ import annotations


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _ingest_row(name: str, x: dict) -> str:
    cores = f"{x['server_cpu_cores']:.2f} / {x['client_cpu_cores']:.2f}"
    return (f"   {name:24}{x['throughput_rps']:>10.1f}{x['p50_ms']:>10.2f}{x['p99_ms']:>10.2f}{x['errors']:>8}"
            f"{x['server_cpu_ms_per_request']:>12.3f}{cores:>21}")


def _platform_row(relay: dict, setup: dict) -> str:
    p = relay.get("platform") or {}
    if not p:
        return "   (LINE WORKS' rate limits not read)"
    return (f"   LINE WORKS at time scale {setup['time_scale']:g} (its minute = {p['window_s']:g} s): room posts"
            f" {p['posts_max_in_window']} in its busiest minute, limit {p['limit']}"
            f" ({p['posts_max_in_window'] / p['limit']:.0%}); 429s {p['rejected']}")


def table(f: dict) -> str:
    s, ing, ack, relay, rss = f["setup"], f["ingest"], f["ack"], f["relay"], f["rss"]
    cx, bare = ing["cxbot"], ing["bare_flask"]
    lines = [
        f"cxbot bench — {s['cpus']} CPUs, gunicorn {s['gunicorn']}, {s['duration_s']:g}s per phase"
        + (" (quick)" if s["quick"] else ""),
        f"  database: {s['database']}",
        "",
        f"1. Signed LINE webhook ingest (closed loop, {s['concurrency']} clients, "
        f"{s['ingest_rounds']} alternating rounds each)",
        f"   {'':24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'CPU ms/req':>12}{'server/client cores':>21}",
        _ingest_row("cxbot (app:app)", cx),
        _ingest_row("bare Flask (HMAC only)", bare),
        f"   ratio cxbot / bare: {ing['ratio']:.2f}x   target >= {ing['target_ratio']:g}x   {_mark(ing['pass'])}",
        f"   ack at a steady {ack['rate']:g} req/s (open loop): p50 {ack['p50_ms']:.2f} ms, p99 {ack['p99_ms']:.2f} ms,"
        f" max {ack['max_ms']:.2f} ms, {ack['requests']} ok / {ack['errors']} errors",
        f"      target p99 < {ack['target_p99_ms']:g} ms   {_mark(ack['pass'])}"
        f"   (sender lag p99 {ack['sender_lag_p99_ms']:.2f} ms)",
        "",
        f"2. End-to-end relay, webhook POST -> post in the CX Talk room, {relay['rate']:g} msg/s over {relay['rooms']} rooms",
        f"   worker: {s['worker']}",
        f"   p50 {relay['p50_ms']:.1f} ms, p99 {relay['p99_ms']:.1f} ms, max {relay['max_ms']:.1f} ms"
        f"   ({relay['seen']}/{relay['sent']} seen, {relay['lost']} not seen, {relay['send_errors']} send errors)",
        f"   delivered {relay['delivered_rps']:.1f} msg/s of {relay['rate']:g} offered"
        + ("  (the relay did not keep up: a backlog grew during the run)"
           if relay["delivered_rps"] < 0.95 * relay["rate"] else ""),
        f"      target p99 < {relay['target_p99_ms']:g} ms   {_mark(relay['pass'])}",
        f"   ack meanwhile: p50 {relay['ack_p50_ms']:.2f} ms, p99 {relay['ack_p99_ms']:.2f} ms"
        f"   (sender lag p99 {relay['sender_lag_p99_ms']:.2f} ms)",
        _platform_row(relay, s),
        "   rooms opened in a warm-up before timing"
        + ("; sandbox channelCreatePerMinute raised for it" if relay["room_limit_raised"] else
           " (within LINE WORKS' 10 rooms/minute, limit left as is)"),
        "",
        f"3. Peak RSS (VmHWM)   target < {rss['target_mb']:g} MB per worker   {_mark(rss['pass'])}",
    ]
    for row in rss["processes"]:
        note = "" if row["target_applies"] else "  (info)"
        lines.append(f"   {row['process']:44}{row['peak_rss_mb']:>8.1f} MB{note}")
    for name, stats in (("cxbot", cx), ("bare", bare), ("ack", ack)):
        for sample in stats.get("error_samples") or []:
            lines.append(f"   ! {name}: {sample}")
    return "\n".join(lines)
