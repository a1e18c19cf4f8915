"""What every layer may use: ids, reading files and texts from outside, strict JSON, CSV."""
