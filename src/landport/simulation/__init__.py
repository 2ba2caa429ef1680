"""The digital twin's building blocks: synthetic trucks and e-lock tracks along the corridors."""
