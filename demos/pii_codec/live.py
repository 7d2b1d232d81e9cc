"""Present mode: onboarding a customer whose PII travels encrypted. The slide's history comes from
the server, which holds only ciphertext: the events show that the workflow ran, never the data.
"Web UI" opens the run; with the codec server (python -m demos.pii_codec.codec_server) the Web UI
can decrypt it with the key."""

from __future__ import annotations

import uuid

from temporalio.client import Client, WorkflowHandle

from demos.pii_codec.codec import EncryptionCodec
from demos.pii_codec.starter import demo_customer
from demos.pii_codec.worker import build_worker, with_codec
from demos.pii_codec.workflows import OnboardingWorkflow

WORKERS = {"worker": lambda client, task_queue: build_worker(with_codec(client, EncryptionCodec.from_env()), task_queue)}


async def start(client: Client, task_queue: str) -> WorkflowHandle:
    secure = with_codec(client, EncryptionCodec.from_env())
    return await secure.start_workflow(OnboardingWorkflow.run, demo_customer(), id=f"onboard-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
