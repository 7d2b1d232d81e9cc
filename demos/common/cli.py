"""`python -m demos.<name>`: run one demo end to end in a terminal, as it is shown in the talk.

Connects (or starts the embedded dev server), runs the scenario printing its steps as they happen,
then prints the workflow result and a compact table of the workflow's event history.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any, Awaitable, Callable

from demos.common.capture import DemoFailed, capture_demo, load_scenario, root_failure_message
from demos.common.connect import connected_client
from demos.common.process_exit import exit_without_teardown
from demos.common.server import DemoError


def run_demo_main(name: str) -> int:
    """Entry point of every demos/<name>/__main__.py. Returns the process exit code."""
    return _run_reporting_errors(lambda: _run(name))


async def _run(name: str) -> None:
    load_scenario(name)  # a mistyped name should fail before a server is started or contacted
    async with connected_client(log=_say) as client:
        capture = await capture_demo(name, client, log=_say)
    print()
    print(f"result: {json.dumps(capture['result'], ensure_ascii=False)}")
    print(
        f"workflow {capture['workflow_type']} id={capture['workflow_id']} run={capture['run_id']}: "
        f"{len(capture['events'])} events over {capture['workflow_duration_s']:.1f}s"
    )
    print(format_event_table(capture["events"]))


def _say(line: str) -> None:
    print(line, flush=True)  # flush: the steps must appear live, also when piped


def format_event_table(events: list[dict[str, Any]], *, detail_width: int = 90) -> str:
    """Fixed-width table of compact events (see capture.compact_events)."""
    type_width = max((len(e["type"]) for e in events), default=5)
    lines = [f"{'id':>4}  {'t+ms':>7}  {'event':<{type_width}}  detail"]
    for e in events:
        detail = e["detail"] if len(e["detail"]) <= detail_width else e["detail"][: detail_width - 1] + "…"
        lines.append(f"{e['id']:>4}  {e['t_ms']:>7}  {e['type']:<{type_width}}  {detail}".rstrip())
    return "\n".join(lines)


class _OneLineFormatter(logging.Formatter):
    """The SDK logs every failed activity attempt as a warning with a full traceback.

    In a retries demo those failures are the point, but tracebacks would bury the story: keep the
    message, the activity and attempt, and the error's own text.
    """

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().split(" ({", 1)[0]  # the SDK appends its context dict: shown below
        activity = getattr(record, "temporal_activity", None)
        if activity:
            message += f" [{activity.get('activity_type')} attempt {activity.get('attempt')}]"
        if record.exc_info and record.exc_info[1] is not None:
            message += f": {root_failure_message(record.exc_info[1])}"
        return f"  {record.levelname.lower()}: {message}"


def _show_sdk_log_records_on_one_line() -> None:
    sdk_logger = logging.getLogger("temporalio")
    if any(isinstance(h.formatter, _OneLineFormatter) for h in sdk_logger.handlers):
        return  # already set up (a second demo run in the same process)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter())
    sdk_logger.addHandler(handler)
    sdk_logger.setLevel(logging.WARNING)
    sdk_logger.propagate = False  # otherwise the root logger's last-resort handler prints it again


def run_standalone(main: Callable[[], Awaitable[object]]) -> int:
    """Entry point of a demo's standalone worker.py/starter.py (the two-terminal way)."""
    return _run_reporting_errors(main)


def _run_reporting_errors(main: Callable[[], Awaitable[object]]) -> int:
    """asyncio.run(main()), where a DemoError/DemoFailed is one line on stderr and Ctrl-C a quiet exit."""
    _show_sdk_log_records_on_one_line()
    try:
        asyncio.run(main())
        code = 0
    except (DemoError, DemoFailed) as err:
        # Something the audience/user can act on: one line, no traceback.
        print(f"error: {err}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    return _exit_now_if_entry_point(code)


def _exit_now_if_entry_point(code: int) -> int:
    """End a `python -m demos...` process without interpreter teardown (see process_exit).
    Called in-process (tests, the deck build) it just returns the code."""
    main_module = sys.modules.get("__main__")
    spec = getattr(main_module, "__spec__", None)
    if spec is None or not spec.name.startswith("demos."):
        return code
    exit_without_teardown(code)
    return code  # not reached
