"""The gate terminal application."""
