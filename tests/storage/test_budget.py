"""The shared rate budget: places taken by two processes on one database never exceed the
limit in any window, and what the platform says corrects it."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from cxbot.storage.budget import Budget

LIMIT, WINDOW = 12, 1.0

# A process that takes places as fast as it may for `seconds`, printing when each was granted.
TAKER = """
import sys, time
from cxbot.storage.budget import Budget
from cxbot.storage.db import Database
budget = Budget(Database(sys.argv[1]), margin=0.0)
end = time.time() + float(sys.argv[2])
while time.time() < end:
    turn = budget.take("works POST /bots/{}/channels/{}/messages", %d, %f)
    if turn.wait > 0:
        time.sleep(min(turn.wait, 0.05))
    else:
        print(repr(turn.at), flush=True)
""" % (LIMIT, WINDOW)


def _most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.mark.database
def test_two_processes_share_one_budget_and_never_exceed_it(db, database_url):
    takers = [subprocess.Popen([sys.executable, "-c", TAKER, database_url, "3.2"], stdout=subprocess.PIPE, text=True)
              for _ in range(2)]
    outs = [p.communicate(timeout=60)[0] for p in takers]
    granted = [[float(line) for line in out.split()] for out in outs]
    every = [t for times in granted for t in times]
    assert all(times for times in granted), "both processes got places"
    assert _most_in_any_window(every, WINDOW) <= LIMIT
    # ... and the budget was spent, not wasted: about LIMIT a window over 3 windows and a bit.
    assert len(every) >= 3 * LIMIT


@pytest.mark.database
def test_a_spent_budget_says_how_long_until_a_place_frees(db):
    budget = Budget(db, margin=0.0)
    for _ in range(3):
        assert budget.take("k", 3, 10.0).wait == 0
    turn = budget.take("k", 3, 10.0)
    assert 9.0 < turn.wait <= 10.0 and turn.left == 0
    # Another process learns it from the database, not from memory.
    other = Budget(db, margin=0.0)
    assert 9.0 < other.take("k", 3, 10.0).wait <= 10.0
    assert other.take("other key", 3, 10.0).wait == 0


@pytest.mark.database
def test_what_the_platform_says_corrects_the_budget(db):
    budget = Budget(db, margin=0.0)
    assert budget.take("k", 10, 60.0).left == 9
    # Another program of the tenant spent most of it: 2 left until the platform's window resets in 5 s.
    budget.correct("k", 10, 60.0, remaining=2, reset=5.0)
    assert [budget.take("k", 10, 60.0).wait == 0 for _ in range(3)] == [True, True, False]
    # A 429: nothing until its reset, for every process.
    budget.correct("j", 10, 60.0, remaining=0, reset=3.0)
    wait = Budget(db).take("j", 10, 60.0).wait
    assert 2.0 < wait <= 3.0


@pytest.mark.database
def test_the_placeholders_run_out_when_the_platforms_window_resets(db):
    budget = Budget(db, margin=0.0)
    budget.correct("k", 4, 2.0, remaining=0 + 1, reset=0.5)  # 1 left for the next 0.5 s
    assert budget.take("k", 4, 2.0).wait == 0
    assert budget.take("k", 4, 2.0).wait > 0
    time.sleep(0.6)
    fresh = Budget(db, margin=0.0)  # this process's memory of "full" would wait the old answer out
    assert [fresh.take("k", 4, 2.0).wait == 0 for _ in range(4)] == [True, True, True, False]
