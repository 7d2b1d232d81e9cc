"""Scenario: onboard a customer through a client and worker that encrypt every payload. Then look
at it from every side: what the server stores (ciphertext, key id in the metadata), what the
workflow saw (plain data), the masked log lines, the codec server answering the Web UI's origin and
refusing another, and the clear errors without the key or with the wrong one."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import asdict
from typing import Iterator

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client

from demos.common.capture import root_failure_message
from demos.common.scenario import Log, ScenarioResult
from demos.pii_codec import masking
from demos.pii_codec.codec import DEMO_KEY, DEMO_KEY_ID, EncryptionCodec, data_converter
from demos.pii_codec.codec_server import DEFAULT_UI_ORIGIN, CodecServer
from demos.pii_codec.starter import demo_customer, onboard, stored_view, workflow_view
from demos.pii_codec.worker import build_worker, with_codec
from demos.pii_codec.workflows import OnboardingWorkflow

TITLE = "A payload codec encrypts workflow data (AES-GCM): the server stores ciphertext, the workflow sees plain data"
CLAIMS = ["Encrypt sensitive payloads; keep PII out of logs"]
WORKFLOWS = [OnboardingWorkflow]
# Replaying a captured history needs the key: the capture holds only ciphertext.
DATA_CONVERTER = data_converter(EncryptionCodec({DEMO_KEY_ID: DEMO_KEY}, DEMO_KEY_ID))

OTHER_ORIGIN = "http://attacker.example"


async def run(client: Client, *, task_queue: str, log: Log) -> ScenarioResult:
    codec = EncryptionCodec({DEMO_KEY_ID: DEMO_KEY}, DEMO_KEY_ID)  # the capture must replay with DATA_CONVERTER
    customer = demo_customer()
    with _sdk_log_lines(task_queue, log) as log_lines:
        async with build_worker(with_codec(client, codec), task_queue):
            log(f"worker running on task queue {task_queue}; payloads encrypted with key {codec.active_key_id!r}")
            handle, welcome = await onboard(with_codec(client, codec), customer, task_queue=task_queue)
    log(f"{handle.id}: {welcome.greeting}")

    history = await client.get_workflow_handle(handle.id).fetch_history()  # plain client: what the server has
    stored_input = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    stored = stored_view(stored_input)
    seen = workflow_view(stored_input, codec)
    log(f"server stores {stored['bytes']} bytes, {stored['encoding']}, key {stored['key_id']}: {stored['base64_excerpt']}")
    log(f"workflow sees {json.dumps(seen)}")

    no_key = await _result_error(client.get_workflow_handle(handle.id))
    log(f"reading the result without the codec: {no_key}")
    other_key = EncryptionCodec({DEMO_KEY_ID: bytes(32)}, DEMO_KEY_ID)
    wrong_key = await _result_error(with_codec(client, other_key).get_workflow_handle(handle.id))
    log(f"reading it with a wrong key under the same id: {wrong_key}")

    codec_server = await asyncio.to_thread(_codec_server_checks, codec, stored_input)
    for line in codec_server["lines"]:
        log(line)
    return ScenarioResult(
        workflow_id=handle.id,
        run_id=handle.result_run_id,
        input=stored,  # what the server holds, never the plain data: the capture is committed
        # The result as the server stores it; the plain one (fictional data) is in extra.
        result=stored_view(history.events[-1].workflow_execution_completed_event_attributes.result.payloads[0]),
        extra={
            "stored": stored,
            "seen": seen,
            "workflow_result": asdict(welcome),
            "masked_log": log_lines,
            "without_key": no_key,
            "wrong_key": wrong_key,
            "codec_server": {k: v for k, v in codec_server.items() if k != "lines"},
        },
    )


async def _result_error(handle) -> str:
    try:
        await handle.result()
    except Exception as err:  # noqa: BLE001 - what a reader without the right key gets: a message, not data
        return root_failure_message(err)
    return "decoded (unexpected)"


def _codec_server_checks(codec: EncryptionCodec, stored: object) -> dict:
    """Ask a real codec server on loopback what the Web UI would ask, from the UI's origin and
    from another one, and ask a codec server that lacks the key."""
    body = json.dumps({"payloads": [json_format.MessageToDict(stored)]}).encode()
    results: dict = {"ui_origin": DEFAULT_UI_ORIGIN, "other_origin": OTHER_ORIGIN}
    with CodecServer(codec) as server:
        status, answer, cors = _post(f"{server.url}/decode", body, DEFAULT_UI_ORIGIN)
        decoded = json_format.ParseDict(answer, Payloads()).payloads[0] if status == 200 else None
        results["ui_status"] = status
        results["ui_cors_header"] = cors
        results["ui_decoded"] = json.loads(decoded.data) if decoded is not None else None
        results["other_status"], other_answer, results["other_cors_header"] = _post(f"{server.url}/decode", body, OTHER_ORIGIN)
    with CodecServer(EncryptionCodec({"key-2": bytes(range(32))}, "key-2")) as keyless:
        results["no_key_status"], no_key_answer, _ = _post(f"{keyless.url}/decode", body, DEFAULT_UI_ORIGIN)
        results["no_key_message"] = no_key_answer.get("message")
    results["lines"] = [
        f"codec server, origin {DEFAULT_UI_ORIGIN}: HTTP {results['ui_status']}, decoded for the Web UI",
        f"codec server, origin {OTHER_ORIGIN}: HTTP {results['other_status']}, no CORS header",
        f"codec server without the key: HTTP {results['no_key_status']}: {results['no_key_message']}",
    ]
    return results


def _post(url: str, body: bytes, origin: str) -> tuple[int, dict, str | None]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", "Origin": origin})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}"), err.headers.get("Access-Control-Allow-Origin")


@contextmanager
def _sdk_log_lines(task_queue: str, log: Log) -> Iterator[list[str]]:
    """The workflow's and activity's own log lines (after masking), from this scenario's task queue only
    (the deck build runs several demos in one process)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            context = getattr(record, "temporal_workflow", None) or getattr(record, "temporal_activity", None) or {}
            if context.get("task_queue") == task_queue:
                line = record.getMessage().split(" ({", 1)[0]  # without the SDK's context dict
                lines.append(line)
                log(f"  log: {line}")

    handler = Collect(logging.INFO)
    loggers = [logging.getLogger(name) for name in masking.SDK_LOGGERS]
    saved = [(logger.level, logger.propagate) for logger in loggers]
    masking.install()
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # shown once, through `log`, not again by the CLI's SDK handler
    try:
        yield lines
    finally:
        for logger, (level, propagate) in zip(loggers, saved):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
