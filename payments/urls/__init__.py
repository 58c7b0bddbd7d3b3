"""The payments' URL modules, one a mount point."""
