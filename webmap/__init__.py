"""webmap."""
