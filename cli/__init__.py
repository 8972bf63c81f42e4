"""The `kb` command line: the top layer, which may use kb, ingest and web."""
