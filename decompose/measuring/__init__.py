"""Figures measured on this machine for the dry-run report: package bytes and cold import time."""
