"""greenmap."""
