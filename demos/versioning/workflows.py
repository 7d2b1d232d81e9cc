"""The current (v2) order workflow: v1 plus a fraud check before the approval wait.

With Worker Versioning (worker.py) an order is PINNED: it runs to the end on the version it
started on, so v2's workers never see a v1 run and a change needs no patch for those runs. But a
run can be moved to the current version: started with an AUTO_UPGRADE override (as the demo's
order 1002 is), or moved by an operator (`temporal workflow update-options`). Such a run, started
on v1, continues on a v2 worker, which resumes it by replaying its history through v2's code, and
the code must issue the same commands in the same order as the history records. A v1 run's
history has no fraud check after the stock reservation, so adding one unconditionally breaks
replay (see workflows_unpatched.py). Hence the patch:

workflow.patched(FRAUD_CHECK_PATCH):
  - new run, or live (not replaying) code: returns True and records a marker in the history;
  - replaying a run whose history has no marker at this point (a v1 run): returns False,
    so that run keeps the v1 path to the end.

Once no run without the marker is open any more, the `else` branch can be dropped and the call
replaced by workflow.deprecate_patch(FRAUD_CHECK_PATCH); after those runs leave retention, the
call itself can go.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import VersioningBehavior

with workflow.unsafe.imports_passed_through():
    from demos.versioning.activities import charge_payment, check_fraud, reserve_stock
    from demos.versioning.model import (
        ACTIVITY_TIMEOUT,
        AWAITING_APPROVAL,
        FRAUD_CHECK_PATCH,
        WORKFLOW_NAME,
        Order,
        OrderResult,
    )


# PINNED: a run stays on the Worker Deployment Version it started on (see model.py).
@workflow.defn(name=WORKFLOW_NAME, versioning_behavior=VersioningBehavior.PINNED)
class OrderApproval:
    def __init__(self) -> None:
        self._status = "started"
        self._approved_by: str | None = None

    @workflow.run
    async def run(self, order: Order) -> OrderResult:
        steps = [await workflow.execute_activity(reserve_stock, order, start_to_close_timeout=ACTIVITY_TIMEOUT)]

        if workflow.patched(FRAUD_CHECK_PATCH):
            self._status = "checking fraud"
            verdict = await workflow.execute_activity(check_fraud, order, start_to_close_timeout=ACTIVITY_TIMEOUT)
            steps.append(f"fraud check: {verdict.risk} ({verdict.reason})")
            path = "v2"
        else:
            path = "v1"  # started by v1 code and already past this point: keep doing what v1 did

        self._status = AWAITING_APPROVAL
        await workflow.wait_condition(lambda: self._approved_by is not None)
        assert self._approved_by is not None

        self._status = "charging"
        steps.append(await workflow.execute_activity(charge_payment, order, start_to_close_timeout=ACTIVITY_TIMEOUT))
        self._status = "done"
        return OrderResult(order_id=order.order_id, path=path, approved_by=self._approved_by, steps=steps)

    @workflow.signal
    def approve(self, approver: str) -> None:
        self._approved_by = approver

    @workflow.query
    def status(self) -> str:
        return self._status
