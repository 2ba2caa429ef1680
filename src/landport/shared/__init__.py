"""Value objects, errors and the clock shared by every capability of the pure core."""
