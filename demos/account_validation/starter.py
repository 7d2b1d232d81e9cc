"""Start an account validation and wait for its result.

Standalone (two-terminal way, next to `python -m demos.account_validation.worker`):
    python -m demos.account_validation.starter [USERNAME TOKEN]
The demo directory knows ada (token tok-ada-demo, active) and bob (tok-bob-demo, suspended).
"""

from __future__ import annotations

import sys
import uuid

from temporalio.client import Client, WorkflowHandle

from demos.account_validation.worker import TASK_QUEUE
from demos.account_validation.workflows import AccountValidationWorkflow, ValidationRequest, ValidationResult
from demos.common.cli import run_standalone
from demos.common.connect import connected_client


async def validate(client: Client, request: ValidationRequest, *, task_queue: str) -> tuple[WorkflowHandle, ValidationResult]:
    handle = await client.start_workflow(
        AccountValidationWorkflow.run,
        request,
        id=f"validate-{request.username}-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
    )
    return handle, await handle.result()


async def main(client: Client | None = None, request: ValidationRequest | None = None) -> ValidationResult:
    request = request or ValidationRequest("ada", "tok-ada-demo")
    if client is None:
        async with connected_client(embedded_fallback=False, log=print) as connected:
            return await main(connected, request)
    handle, result = await validate(client, request, task_queue=TASK_QUEUE)
    print(f"{handle.id}: {'valid' if result.valid else 'not valid'} ({result.reason})")
    return result


if __name__ == "__main__":
    chosen = ValidationRequest(sys.argv[1], sys.argv[2]) if len(sys.argv) >= 3 else None
    raise SystemExit(run_standalone(lambda: main(request=chosen)))
