"""Billing's forms."""
