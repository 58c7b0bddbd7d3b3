"""Support's URL modules, one a mount point."""
