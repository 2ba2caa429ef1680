"""The `landport` command line."""
