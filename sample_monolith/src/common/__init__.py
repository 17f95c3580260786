"""Helpers shared by every route of the shop monolith."""
