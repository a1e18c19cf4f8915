"""Health codes and vehicle permits, behind one verifier interface."""
