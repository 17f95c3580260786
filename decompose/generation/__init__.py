"""The split's generated parts: handlers, per-function packages, the strangler template edit, its validation."""
