"""Search: the searcher (dense, keyword, fusion), filters, highlighting, similar documents and
evaluation."""
