"""The shape of a real model call, simulated on purpose: slow, remote, and limited per worker.

The demo's embedder and summarizer are local stand-ins that finish in well under a millisecond.
A production pipeline calls an embedding API or an LLM instead, and two things about such a call
decide how the pipeline scales:

- **latency**: the call waits on a remote service for hundreds of milliseconds, using no local CPU;
- **slots**: the provider caps the calls in flight (a rate limit, a GPU slot), so one worker
  process may only run a few at a time.

`ModelCallShape` gives the ML activities that shape explicitly: every call first waits
`latency_ms` (a `time.sleep` standing in for the network round trip, named as a simulation on the
slide) and then runs the real local computation, whose result is what gets stored. A worker runs
at most `slots` ML activities at once (`max_concurrent_activities`). One ML worker process then
handles at most `slots / latency` calls per second, and each extra process adds as much again:
the bottleneck that "add workers" is the real answer to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelCallShape:
    latency_ms: int  # simulated remote latency, added to every ML activity call
    slots: int  # ML activities one worker process runs at a time

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.slots < 1:
            raise ValueError("latency_ms must be >= 0 and slots >= 1")

    def wait_for_remote(self) -> None:
        """The simulated round trip: a blocking wait, as a synchronous HTTP client would do."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)

    def describe(self) -> str:
        return f"simulated {self.latency_ms} ms latency per model call, {self.slots} slots per ML worker"


# What the demo, its workers and its measurement use unless told otherwise. 400 ms is a modest
# round trip for a hosted embedding or short summary request (an LLM often takes seconds); 1 slot
# per worker is the tightest cap, one GPU slot or a concurrency limit of one. With these, the model
# calls, not the orchestration, are what an ML worker spends its time waiting on. Shorter calls
# would make the demo quicker but let the fixed cost of a run (about a second on a busy 2-core
# machine: starting the children, the storage steps, server round trips) blur the scaling.
DEFAULT_SHAPE = ModelCallShape(latency_ms=400, slots=1)
# Local computation only (unit tests that check results, not timing).
NO_LATENCY = ModelCallShape(latency_ms=0, slots=4)
