"""The FastAPI application: routers translate HTTP to commands and queries, nothing more."""
