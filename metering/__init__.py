"""Meter reads as a workflow: intake from customers, agents, the API and files; review; charts."""
