"""Erfarenhetsbanken's domain: documents, chunks, the catalog, the vector store and search."""
