"""Whole-knowledge-base operations: export/import archives, re-indexing, the consistency
check."""
