"""The catalog (SQLite, the source of truth), its keyword index, the vector store, schema
migrations, the write lock and the originals folder."""
