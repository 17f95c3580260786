"""Views of an analysis: JSON for tools and CI, text for people, Markdown for pull requests."""
