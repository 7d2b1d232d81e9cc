"""What goes into and comes out of every version of the order workflow.

These types are shared by v1 and v2 on purpose: changing a workflow's input or output shape is a
separate compatibility question from changing its steps, and this demo is about the steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# All versions register under this one workflow type name: that is what makes them versions of the
# same workflow rather than different workflows.
WORKFLOW_NAME = "OrderApproval"

# Worker Versioning: every worker belongs to a Worker Deployment (the service: all the workers of
# the order shop) and runs one version of it, named by its build id. The server routes each run to
# a version: a new run to the deployment's Current Version; later tasks of a PINNED run (what the
# order workflow declares) to the version it started on; those of an AUTO_UPGRADE run to whatever
# is current by then. The standalone worker uses DEPLOYMENT_NAME; the demo's scenario and tests
# register a deployment of their own per run, so runs never share routing.
DEPLOYMENT_NAME = "orders"
BUILD_IDS = ("v1", "v2")

# The id v2 uses with workflow.patched(). It is recorded as a marker in the history of every run
# that takes the new path, and it must never be reused for a different change.
FRAUD_CHECK_PATCH = "add-fraud-check"

AWAITING_APPROVAL = "awaiting approval"

ACTIVITY_TIMEOUT = timedelta(seconds=10)


@dataclass
class Order:
    order_id: str
    customer: str
    amount_cents: int


@dataclass
class OrderResult:
    order_id: str
    path: str  # "v1" or "v2": which code path this run took
    approved_by: str
    steps: list[str] = field(default_factory=list)
