"""Billing's reads, one module a topic."""
