"""Durable execution: a workflow survives its worker being killed mid-flight."""
