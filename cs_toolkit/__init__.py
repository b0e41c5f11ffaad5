"""cs_toolkit."""
