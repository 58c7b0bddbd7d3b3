"""Billing's use cases, one module a topic; the only code that writes billing's rows."""
