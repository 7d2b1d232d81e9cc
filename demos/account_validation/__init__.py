"""The first workflow: check credentials, verify the account's status, update its record."""
