"""Selectivity (risk) engine: rules as data choose the green, yellow, red or blue lane."""
