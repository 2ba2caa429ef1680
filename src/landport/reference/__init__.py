"""Code lists, places and corridors the rules consult, built from operator-editable data files."""
