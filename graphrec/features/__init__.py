"""Text features: node text from Neo4j, sentence-transformers encoding, embeddings written back."""

from graphrec.features.embed import EmbedStats, embed_text
from graphrec.features.model import resolve_model

__all__ = ["EmbedStats", "embed_text", "resolve_model"]
