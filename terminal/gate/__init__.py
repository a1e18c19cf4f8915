"""The lane: codes in view, the approach, the check, the actuators, the zone view; beside it the
secondary check and vehicles."""
