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


def surge_table(f: dict) -> str:
    """`cxbot bench --surge`: each figure in platform time beside its floor or target."""
    s, v, own, b, rl, p, d, a = (f[x] for x in ("setup", "visible", "own_room", "budget", "rate_limited", "posts",
                                                "delivery", "answers"))
    lines = [
        f"cxbot bench --surge — {s['cpus']} CPUs, {s['workers']} worker process(es), time scale {s['time_scale']:g}"
        f" (LINE WORKS' minute lasts {60 / s['time_scale']:g} s here; figures in platform time)",
        f"  database: {s['database']}",
        f"  {s['customers']} new LINE customers within {s['over_s']:g} s (1 to 4 messages each) + {s['mail']} mail"
        f" customers; agents answer {s['answers']}; {s['wall_s']:g} s of wall time"
        + ("" if f["complete"] else "   (stopped before every customer had a room)"),
        "",
        f"1. Visible to an agent (intake room or own room): max {v['max_s']:g} s, p95 {v['p95_s']:g} s"
        f"   target max <= {v['target_s']:g} s   {_mark(v['pass'])}",
        f"      of which cxbot's own work until the conversation opened: p95 {v.get('opened_p95_s', 0):g} s,"
        f" max {v.get('opened_max_s', 0):g} s (wall × {s['time_scale']:g}: it is not sped up)",
        f"2. Every customer in an own room after {own['every_s'] / 60:.1f} min; floor {own['floor_s'] / 60:.1f} min"
        f" (rooms needed / {b['limit']} a minute) = {own['ratio']:.2f}x   target <= {own['target_ratio']:g}x"
        f"   {_mark(own['pass'])}   (p95 customer {own['p95_s'] / 60:.1f} min)",
        f"3. Room creations {b['rooms_per_min']:g}/min of {b['limit']}/min while the queue lasted ="
        f" {b['utilisation']:.0%}   target >= {b['target']:.0%}   {_mark(b['pass'])}",
    ]
    for op, x in b["busiest"].items():
        lines.append(f"      {op:52} busiest minute {x['max_in_window']:>4} of {x['limit']}")
    lines += [
        f"4. 429s: {rl['429']} of {rl['calls']} LINE WORKS calls ({rl['share']:.2%})   target <= {rl['target_share']:.0%}"
        f"   {_mark(rl['pass'])}",
        f"5. Room posts per relayed message during the backlog (customers who waited over a minute, and the"
        f" intake lists): {p['backlog_posts']} / {p['backlog_messages']} = {p['backlog_per_message']:.2f}"
        f"   target <= {p['target']:g}   {_mark(p['pass'])}",
        f"      in all: {p['room_posts']} posts / {p['messages']} messages = {p['per_message']:.2f}",
        f"6. Lost {d['lost']}, out of order {d['out_of_order']}   target 0 and 0   {_mark(d['pass'])}",
        f"7. Agents' answers during the surge: {a['answered']}/{a['asked']} reached LINE, p50 {a['p50_s']:g} s,"
        f" p99 {a['p99_s']:g} s (wall: answers spend no LINE WORKS budget)   target p99 < {a['target_p99_s']:g} s"
        f"   {_mark(a['pass'])}",
    ]
    h = f.get("heard_back")
    if h:
        line, mail = h["line"], h["mail"]
        lines.append(
            f"8. Told at once that it is busy (those who came while rooms were over a minute away): LINE"
            f" {line['replied']}/{line['marked']} through the reply token, {line['pushed']} pushed; mail"
            f" {mail['replied']}/{mail['marked']} auto-replies; twice {line['twice'] + mail['twice']}, to others"
            f" {line['unmarked_told'] + mail['unmarked_told']}   target all, once, never pushed   {_mark(h['pass'])}")
    return "\n".join(lines)
