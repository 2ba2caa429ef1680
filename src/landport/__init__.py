"""Landport: the open platform of an inland land port."""
