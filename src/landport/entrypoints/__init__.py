"""Ways in: the web API, the command line, workers."""
