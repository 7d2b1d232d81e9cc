"""What every demo shares: the embedded dev server, connecting, and the scenario result type."""
