"""Baselines computed inside Neo4j with the Graph Data Science library (OpenGDS)."""

from graphrec.gds.fastrp import FastRPStats, InteractionGraph, gds_embeddings

__all__ = ["FastRPStats", "InteractionGraph", "gds_embeddings"]
