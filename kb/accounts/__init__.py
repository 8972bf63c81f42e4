"""Editors and readers: accounts, API tokens and login throttling."""
