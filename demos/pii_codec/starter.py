"""Onboard a (fictional) customer through the encrypting client, then show what the server stored.

Standalone (two-terminal way, next to `python -m demos.pii_codec.worker`):
    python -m demos.pii_codec.starter
See the stored ciphertext with `temporal workflow show --workflow-id <id>`; see it decoded with
`--codec-endpoint http://127.0.0.1:8081` while `python -m demos.pii_codec.codec_server` runs.
"""

from __future__ import annotations

import base64
import json
import uuid

from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.pii_codec.activities import Customer
from demos.pii_codec.codec import ENCODING, KEY_ID, EncryptionCodec
from demos.pii_codec.worker import TASK_QUEUE, with_codec
from demos.pii_codec.workflows import OnboardingWorkflow, Welcome


def demo_customer() -> Customer:
    """Fictional person, the standard test card number and the IBAN example from ISO 13616."""
    return Customer(name="Ada Lovelace", email="ada.lovelace@example.com", card_number="4111 1111 1111 1111", iban="GB82 WEST 1234 5698 7654 32")


async def onboard(secure_client: Client, customer: Customer, *, task_queue: str) -> tuple[WorkflowHandle, Welcome]:
    handle = await secure_client.start_workflow(
        OnboardingWorkflow.run, customer, id=f"onboard-{uuid.uuid4().hex[:8]}", task_queue=task_queue, result_type=Welcome
    )
    return handle, await handle.result()


def stored_view(payload: Payload, excerpt_chars: int = 32) -> dict:
    """What the server holds for one payload: its metadata and a base64 excerpt of its bytes."""
    return {
        "encoding": payload.metadata.get("encoding", b"").decode(errors="replace"),
        "key_id": payload.metadata.get(KEY_ID, b"").decode(errors="replace") or None,
        "bytes": len(payload.data),
        "base64_excerpt": base64.b64encode(payload.data).decode()[:excerpt_chars] + "…",
        "encrypted": payload.metadata.get("encoding") == ENCODING,
    }


def workflow_view(payload: Payload, codec: EncryptionCodec) -> object:
    """What the workflow code receives for the same payload: decrypted, then plain JSON."""
    return json.loads(codec.decrypt(payload).data)


async def main(client: Client | None = None) -> Welcome:
    if client is None:
        async with connected_client(embedded_fallback=False, log=print) as connected:
            return await main(connected)
    codec = EncryptionCodec.from_env()
    handle, welcome = await onboard(with_codec(client, codec), demo_customer(), task_queue=TASK_QUEUE)
    print(f"{handle.id}: {welcome.greeting}")
    history = await client.get_workflow_handle(handle.id).fetch_history()  # a plain client: no codec
    stored = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    print(f"the server stores: {json.dumps(stored_view(stored))}")
    print(f"the workflow sees: {json.dumps(workflow_view(stored, codec))}")
    return welcome


if __name__ == "__main__":
    raise SystemExit(run_standalone(main))
