"""Support's reads, one module a topic: tickets, service reports, the answers from the customer's data."""
