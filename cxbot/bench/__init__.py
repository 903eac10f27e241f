"""`cxbot bench`: ingest throughput and latency under gunicorn against a bare Flask
baseline, end-to-end relay latency through `cxbot worker`, and peak memory per process.
Beside the product, above the demo whose tenant it stages; only the CLI imports it.

    runner.py   the run: phases and figures
    stage.py    the tenant in the sandbox and the database, room warm-up, reading rooms back
    load.py     signed LINE webhook bodies, keep-alive client, closed / open loop
    procs.py    gunicorn and worker subprocesses, /proc peak RSS, cleanup
    wsgi.py     `gunicorn cxbot.bench.wsgi:app` (what app.py builds)
    bare.py     `gunicorn cxbot.bench.bare:app` (the baseline)
    report.py   the table
"""

from cxbot.bench.runner import Options, run

__all__ = ["Options", "run"]
