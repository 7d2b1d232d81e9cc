"""PII masked in logs. Encryption protects what goes to the server; logs go elsewhere (files,
log shippers, dashboards), so the workflow's and activities' log lines are masked on the way out."""

from __future__ import annotations

import logging
import re

EMAIL = re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
CARD = re.compile(r"\b(?:\d[ -]?){12,15}(\d{4})\b")
IBAN = re.compile(r"\b([A-Z]{2})\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")


def mask_pii(text: str) -> str:
    text = EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = CARD.sub(lambda m: f"**** **** **** {m.group(1)}", text)
    return IBAN.sub(lambda m: f"{m.group(1)}** **** (masked)", text)


class PiiMaskingFilter(logging.Filter):
    """Rewrites each record's message, masked, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_pii(record.getMessage())
        record.args = None
        return True


SDK_LOGGERS = ("temporalio.workflow", "temporalio.activity")


def install(filter_: PiiMaskingFilter | None = None) -> PiiMaskingFilter:
    """Mask every record the workflow and activity loggers emit (a filter on a logger sees only
    records logged to that logger, hence one per SDK logger)."""
    filter_ = filter_ or PiiMaskingFilter()
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        if filter_ not in logger.filters:
            logger.addFilter(filter_)
    return filter_
