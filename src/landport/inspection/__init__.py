"""Document checks, non-intrusive scans, physical examinations and the inspection passport."""
