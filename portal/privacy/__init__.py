"""Personal data: what a customer can download, the erasure an admin does for
a closed customer, and the purge of what was kept once the law lets go.

It reads and changes rows of every app, so it lives in the site shell, the
one layer allowed to see them all."""
