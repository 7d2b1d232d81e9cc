"""Present mode (share mode): the questions board's worker, run as its own OS process by the session's
worker pool (`python -m demos.common.live_worker --demo questions --role worker`), so it is killed,
restarted and stopped like every demo's worker. The board itself is not a demo slide: the session
opens it (deckbuild/present/questions.py) and the room's phones ask through the web process."""

from __future__ import annotations

from demos.questions.worker import running_worker

WORKERS = {"worker": lambda client, task_queue: running_worker(client, task_queue)}
