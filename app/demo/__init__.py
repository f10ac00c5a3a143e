"""``attrib demo``: a realistic data set with known report figures (operations.md)."""
