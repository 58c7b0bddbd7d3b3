"""Matching bank lines to accounts and bills: references and names, then transfers."""
