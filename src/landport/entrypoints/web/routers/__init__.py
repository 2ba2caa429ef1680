"""HTTP routers, one per capability."""
