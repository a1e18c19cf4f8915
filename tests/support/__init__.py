"""Helpers the test modules share: fixtures, builders and waiting loops, imported by name."""
