"""Read intake's reads, one module a topic."""
