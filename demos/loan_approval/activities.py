"""The loan application's activities: two independent checks and the hand-off to manual review.

The checks are deterministic stand-ins for a credit bureau and a document service: each takes a
moment (so running them in parallel visibly saves time) and decides by the application's data.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from temporalio import activity

CHECK_SECONDS = 0.6  # how long each simulated external check takes


@dataclass
class Application:
    application_id: str
    applicant: str
    amount: int  # whole currency units
    documents: list[str]
    review_timeout_s: float = 7 * 24 * 3600  # how long a loan officer has to decide


@dataclass
class CheckResult:
    check: str
    passed: bool
    detail: str
    started_at: float  # epoch seconds, worker clock: shows the two checks overlapping
    ended_at: float


REQUIRED_DOCUMENTS = ("id", "payslip", "bank-statement")


@activity.defn
async def credit_check(application: Application) -> CheckResult:
    started = time.time()
    await asyncio.sleep(CHECK_SECONDS)
    score = 780 if application.applicant.lower().startswith("a") else 640  # a stand-in for the bureau
    passed = score >= 650 and application.amount <= 500_000
    return CheckResult("credit", passed, f"score {score}", started, time.time())


@activity.defn
async def verify_documents(application: Application) -> CheckResult:
    started = time.time()
    await asyncio.sleep(CHECK_SECONDS)
    missing = [d for d in REQUIRED_DOCUMENTS if d not in application.documents]
    detail = "all documents present" if not missing else "missing " + ", ".join(missing)
    return CheckResult("documents", not missing, detail, started, time.time())


@activity.defn
async def route_to_manual_review(application_id: str) -> str:
    """Put the application in the manual-review queue (here: a ticket id)."""
    return f"review-{application_id}"
