"""The worker: its client carries the encryption codec, so it decrypts what it receives and
encrypts what it sends; its workflow and activity logs are masked.

Standalone (two-terminal way; needs `temporal server start-dev` or TEMPORAL_ADDRESS):
    python -m demos.pii_codec.worker
Uses PII_CODEC_KEY / PII_CODEC_KEY_ID when set, else the public demo key (see codec.py).
"""

from __future__ import annotations

import logging

from temporalio.client import Client
from temporalio.worker import Worker

from demos.common.cli import run_standalone
from demos.common.connect import connected_client
from demos.common.worker_process import run_until_stopped
from demos.pii_codec import masking
from demos.pii_codec.activities import open_account
from demos.pii_codec.codec import EncryptionCodec, data_converter
from demos.pii_codec.workflows import OnboardingWorkflow

TASK_QUEUE = "pii-codec"


def with_codec(client: Client, codec: EncryptionCodec) -> Client:
    """The same connection, with payloads encrypted by `codec`."""
    config = client.config()
    config["data_converter"] = data_converter(codec)
    return Client(**config)


def build_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    """`client` must carry the codec (with_codec): the worker encodes and decodes with it."""
    masking.install()
    return Worker(client, task_queue=task_queue, workflows=[OnboardingWorkflow], activities=[open_account])


async def main() -> None:
    async with connected_client(embedded_fallback=False, log=print) as client:
        codec = EncryptionCodec.from_env()
        print(f"worker polling task queue {TASK_QUEUE!r}, encrypting with key {codec.active_key_id!r}; Ctrl-C to stop")
        await run_until_stopped(build_worker(with_codec(client, codec)))


if __name__ == "__main__":
    for name in masking.SDK_LOGGERS:  # show the (masked) workflow and activity log lines
        logging.getLogger(name).setLevel(logging.INFO)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    raise SystemExit(run_standalone(main))
