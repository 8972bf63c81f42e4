"""The sentence-transformers model: loading, the offline e5 conversion, and the lock that
lets searches go before upload batches."""
