"""Twins of the gate's hardware (bus, pins, camera), a simulated clock, crowds, and the runner."""
