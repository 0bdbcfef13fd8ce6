"""Adapters of the matching service: embedding models and the FAISS vector index."""
