"""The encryption codec for real: the server's history holds only ciphertext, the workflow sees
plain data, logs are masked, the codec server serves the Web UI's origin only, and a missing or
wrong key is a clear error (in the client, the worker and the codec server), never plain text."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest
import pytest_asyncio
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from demos.common.capture import capture_demo
from demos.common.server import DemoError
from demos.pii_codec import scenario
from demos.pii_codec.codec import DEMO_KEY, DEMO_KEY_ID, CodecKeyError, EncryptionCodec
from demos.pii_codec.codec_server import CodecServer
from demos.pii_codec.masking import mask_pii
from demos.pii_codec.starter import demo_customer
from demos.pii_codec.worker import build_worker, with_codec
from demos.pii_codec.workflows import OnboardingWorkflow

pytestmark = pytest.mark.timeout(60)
PII = ["ada.lovelace@example.com", "Lovelace", "4111 1111 1111 1111", "GB82 WEST"]


def demo_codec() -> EncryptionCodec:
    return EncryptionCodec({DEMO_KEY_ID: DEMO_KEY}, DEMO_KEY_ID)


@pytest_asyncio.fixture(scope="module")
async def capture(client):
    return await capture_demo("pii_codec", client)


async def test_the_server_stores_only_ciphertext(capture):
    stored = json.dumps(capture["history"])
    for value in PII:
        assert value not in stored
    assert capture["extra"]["stored"]["encoding"] == "binary/encrypted"
    assert capture["extra"]["stored"]["key_id"] == DEMO_KEY_ID
    assert capture["result"]["encrypted"] is True and capture["result"]["key_id"] == DEMO_KEY_ID


async def test_the_workflow_sees_plain_data(capture):
    assert capture["extra"]["seen"] == {
        "name": "Ada Lovelace", "email": "ada.lovelace@example.com",
        "card_number": "4111 1111 1111 1111", "iban": "GB82 WEST 1234 5698 7654 32",
    }  # fmt: skip
    assert capture["extra"]["workflow_result"]["greeting"].startswith("Welcome, Ada Lovelace")


async def test_logs_are_masked(capture):
    lines = capture["extra"]["masked_log"]
    assert len(lines) == 2
    text = "\n".join(lines)
    assert "a***@example.com" in text and "**** **** **** 1111" in text
    for value in PII:
        assert value not in text


async def test_codec_server_decodes_for_the_web_ui_origin_only(capture):
    checks = capture["extra"]["codec_server"]
    assert (checks["ui_status"], checks["ui_cors_header"]) == (200, checks["ui_origin"])
    assert checks["ui_decoded"] == capture["extra"]["seen"]
    assert (checks["other_status"], checks["other_cors_header"]) == (403, None)
    assert checks["no_key_status"] == 400 and "does not have" in checks["no_key_message"]


async def test_without_or_with_a_wrong_key_the_client_gets_an_error_not_data(capture):
    assert "Unknown payload encoding binary/encrypted" in capture["extra"]["without_key"]
    assert "wrong key" in capture["extra"]["wrong_key"]


async def test_captured_history_replays_only_with_the_key(capture):
    history = WorkflowHistory.from_json(capture["workflow_id"], capture["history"])
    result = await Replayer(workflows=scenario.WORKFLOWS, data_converter=scenario.DATA_CONVERTER).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
    without = await Replayer(workflows=scenario.WORKFLOWS).replay_workflow(history, raise_on_replay_failure=False)
    assert without.replay_failure is not None


async def test_a_worker_with_the_wrong_key_reports_it_and_keeps_running(client, task_queue):
    """The workflow task fails with the codec's message (recorded in the history) and is retried;
    the worker neither crashes nor runs the workflow on undecryptable data."""
    wrong = EncryptionCodec({DEMO_KEY_ID: bytes(32)}, DEMO_KEY_ID)
    async with build_worker(with_codec(client, wrong), task_queue):
        handle = await with_codec(client, demo_codec()).start_workflow(
            OnboardingWorkflow.run, demo_customer(), id=f"onboard-test-{uuid.uuid4()}", task_queue=task_queue
        )
        deadline = time.monotonic() + 20
        failures: list[str] = []
        while not failures and time.monotonic() < deadline:
            history = await handle.fetch_history()
            failures = [e.workflow_task_failed_event_attributes.failure for e in history.events if e.HasField("workflow_task_failed_event_attributes")]
            await asyncio.sleep(0.2)
        await handle.terminate("test over")
    assert failures, "no workflow task failure recorded"
    chain = []
    failure = failures[0]
    while failure is not None:
        chain.append(failure.message)
        failure = failure.cause if failure.HasField("cause") else None
    assert any("does not decrypt: wrong key" in message for message in chain), chain


# ----- the codec on its own ---------------------------------------------------------------------


def _plain(data: bytes = b'{"x": 1}') -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


def test_round_trip_and_fresh_nonce_each_time():
    codec = demo_codec()
    one, two = codec.encrypt(_plain()), codec.encrypt(_plain())
    assert one.data != two.data and b'"x"' not in one.data
    assert one.metadata["encryption-key-id"] == DEMO_KEY_ID.encode()
    assert codec.decrypt(one) == _plain()


def test_a_key_this_process_lacks_is_named():
    sealed = demo_codec().encrypt(_plain())
    with pytest.raises(CodecKeyError, match="encrypted with key 'demo-key-1', which this process does not have"):
        EncryptionCodec({"key-2": bytes(32)}, "key-2").decrypt(sealed)


def test_altered_data_or_metadata_does_not_decrypt():
    codec = demo_codec()
    sealed = codec.encrypt(_plain())
    flipped = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(CodecKeyError, match="wrong key for that id, or altered data"):
        codec.decrypt(flipped)
    relabelled = EncryptionCodec({DEMO_KEY_ID: DEMO_KEY, "other": DEMO_KEY}, DEMO_KEY_ID)
    moved = Payload(metadata={**sealed.metadata, "encryption-key-id": b"other"}, data=sealed.data)
    with pytest.raises(CodecKeyError):  # the key id is authenticated data
        relabelled.decrypt(moved)


def test_unencrypted_payloads_pass_through():
    assert demo_codec().decrypt(_plain()) == _plain()


def test_key_from_the_environment():
    key = bytes(range(32))
    codec = EncryptionCodec.from_env({"PII_CODEC_KEY": base64.b64encode(key).decode(), "PII_CODEC_KEY_ID": "k7"})
    assert codec.active_key_id == "k7"
    assert EncryptionCodec.from_env({}).active_key_id == DEMO_KEY_ID
    with pytest.raises(DemoError, match="not valid base64"):
        EncryptionCodec.from_env({"PII_CODEC_KEY": "***"})
    with pytest.raises(DemoError, match="decodes to 16 bytes; AES-256 needs 32"):
        EncryptionCodec.from_env({"PII_CODEC_KEY": base64.b64encode(bytes(16)).decode()})


@pytest.mark.parametrize(
    "text, masked",
    [
        ("mail ada.lovelace@example.com now", "mail a***@example.com now"),
        ("card 4111 1111 1111 1111.", "card **** **** **** 1111."),
        ("card 4111-1111-1111-1111", "card **** **** **** 1111"),
        ("IBAN GB82 WEST 1234 5698 7654 32", "IBAN GB** **** (masked)"),
        ("order 12345 for 3 items", "order 12345 for 3 items"),
    ],
)
def test_mask_pii(text, masked):
    assert mask_pii(text) == masked


# ----- the codec server -------------------------------------------------------------------------


def _request(url: str, *, method: str = "POST", body: bytes | None = None, origin: str | None = None):
    headers = {"Content-Type": "application/json"} | ({"Origin": origin} if origin else {})
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, method=method, headers=headers), timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_codec_server_preflight_allows_only_the_ui_origin():
    with CodecServer(demo_codec(), ui_origin="http://localhost:8233") as server:
        assert server.url.startswith("http://127.0.0.1:")
        status, headers, _ = _request(f"{server.url}/decode", method="OPTIONS", origin="http://localhost:8233")
        assert status == 204 and headers["Access-Control-Allow-Origin"] == "http://localhost:8233"
        assert "X-Namespace" in headers["Access-Control-Allow-Headers"]
        status, headers, _ = _request(f"{server.url}/decode", method="OPTIONS", origin="http://evil.example")
        assert status == 403 and "Access-Control-Allow-Origin" not in headers


def test_codec_server_encodes_decodes_and_rejects_bad_bodies():
    codec = demo_codec()
    with CodecServer(codec) as server:
        plain = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()}, "data": base64.b64encode(b'"hi"').decode()}]}
        status, _, body = _request(f"{server.url}/encode", body=json.dumps(plain).encode())  # no Origin: the CLI
        assert status == 200
        sealed = json.loads(body)
        assert base64.b64decode(sealed["payloads"][0]["metadata"]["encoding"]) == b"binary/encrypted"
        status, _, body = _request(f"{server.url}/decode", body=json.dumps(sealed).encode())
        assert status == 200 and json.loads(body) == plain
        status, _, body = _request(f"{server.url}/decode", body=b"not json")
        assert status == 400 and "not a Payloads JSON body" in json.loads(body)["message"]
        assert _request(f"{server.url}/elsewhere", body=b"{}")[0] == 404
    with pytest.raises(OSError):  # stopped: nothing listens any more
        urllib.request.urlopen(f"{server.url}/decode", data=b"{}", timeout=2)


async def test_the_temporal_cli_shows_ciphertext_or_through_the_codec_server_plain_data(server, task_queue):
    """What the Web UI does, done by the real `temporal` CLI: --codec-endpoint posts the payloads
    to our codec server (same /decode protocol) and shows what comes back."""
    from demos.common.server import temporal_cli_path
    from demos.pii_codec.starter import onboard

    secure = with_codec(server.client, demo_codec())
    async with build_worker(secure, task_queue):
        handle, _ = await onboard(secure, demo_customer(), task_queue=task_queue)

    def show(*extra: str) -> str:
        argv = [temporal_cli_path(), "workflow", "show", "--address", server.address, "-w", handle.id, "--detailed", *extra]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return done.stdout + done.stderr

    with CodecServer(demo_codec()) as codec_server:
        plain, decoded = await asyncio.gather(asyncio.to_thread(show), asyncio.to_thread(show, "--codec-endpoint", codec_server.url))
    assert "ada.lovelace@example.com" not in plain and base64.b64encode(b"binary/encrypted").decode() in plain
    assert "ada.lovelace@example.com" in decoded and "Welcome, Ada Lovelace" in decoded
