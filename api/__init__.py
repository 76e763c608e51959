"""The HTTP API: validation, error mapping, calls into the ledger and read models."""
