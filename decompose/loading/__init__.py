"""Adapters that read the user's project from disk: the SAM template and the Python sources."""
