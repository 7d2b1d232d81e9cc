"""Safe workflow upgrades: a v1 run survives a v2 deploy (workflow.patched), and replay shows why an
unpatched change would have broken it."""
