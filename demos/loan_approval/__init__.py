"""Loan approval: parallel checks, a human decision by signal, a timeout to manual review."""
