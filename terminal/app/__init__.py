"""The composition root: a config and a device factory make a running gate, with its
housekeeping."""
