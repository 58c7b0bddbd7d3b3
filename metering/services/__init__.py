"""Read intake's use cases, one module a topic."""
