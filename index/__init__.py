"""newsdesk's indexing side: article -> chunks -> embeddings -> Chroma."""
