"""Investments, lessons and recommendations: records kept beside the documents (issue 14)."""
