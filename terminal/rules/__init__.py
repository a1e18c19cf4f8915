"""The policy (pure), the roster, shift groups and their windows."""
