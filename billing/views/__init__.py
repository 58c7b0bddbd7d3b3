"""Billing's customer pages."""
