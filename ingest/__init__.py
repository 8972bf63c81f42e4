"""From files to the knowledge base: readers per format, metadata, chunking and the pipeline."""
