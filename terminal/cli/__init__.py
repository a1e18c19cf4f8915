"""The command line: the one place that picks a device factory."""
