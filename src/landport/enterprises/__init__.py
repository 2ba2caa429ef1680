"""Trading enterprises and the people who act for them or for customs."""
