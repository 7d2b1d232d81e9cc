"""proctree's orphan adoption, in a child Python (becoming a subreaper is for the life of a process,
and pytest's own must stay as it is): a grandchild whose parent exits comes back to the present
process, and the sweeper waits for it once it dies, so no zombie is left."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json, os, subprocess, sys, time
from deckbuild.present import proctree
adopted = proctree.adopt_orphans() if sys.argv[1] == "adopt" else False
sweeper = proctree.AdoptedSweeper()
if sys.argv[2] == "seen":  # sh starts a `sleep` that outlives it; a sweep sees it below sh first
    parent = subprocess.Popen(["sh", "-c", "sleep 0.6 & echo $!; sleep 0.2"], stdout=subprocess.PIPE, text=True)
    grandchild = int(parent.stdout.readline())
    time.sleep(0.1)
    sweeper.sweep()
else:  # a double fork, as Chromium's crash handler does: orphaned at once, in its parent's session
    parent = subprocess.Popen(["sh", "-c", "sleep 0.6 & echo $!"], stdout=subprocess.PIPE, text=True, start_new_session=True)
    grandchild = int(parent.stdout.readline())
parent.wait()
time.sleep(0.8)  # the sleep is over: a zombie, of ours if we adopted it
def state():
    try:
        return open(f"/proc/{grandchild}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
before = state()
reaped = sweeper.sweep()
print(json.dumps({"adopted": adopted, "before": before, "reaped": reaped, "grandchild": grandchild, "after": state(), "parent_rc": parent.returncode}))
"""


def run(mode: str, orphan: str = "seen") -> dict:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode, orphan], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_an_adopted_orphan_is_waited_for_and_leaves_no_zombie():
    result = run("adopt")
    assert result["adopted"] is True
    assert result["before"] == "Z"  # ours to wait for: PID 1 was never given it
    assert result["reaped"] == [result["grandchild"]]
    assert result["after"] == "gone"
    assert result["parent_rc"] == 0  # the Popen's own exit status was not stolen


def test_a_double_forked_orphan_never_seen_below_a_child_is_waited_for_too():
    result = run("adopt", "double-fork")
    assert result["before"] == "Z" and result["reaped"] == [result["grandchild"]] and result["after"] == "gone"
    assert result["parent_rc"] == 0


def test_without_adoption_the_orphan_is_not_ours():
    result = run("no")
    assert result["reaped"] == []  # the sweeper waits only for what was reparented to us
