"""Customer service: help centre, questions, tickets, SLAs."""
