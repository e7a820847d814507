"""Recommendations from the graph: runs ``cypher/recommend/`` queries and returns typed results."""

from graphrec.db.vectors import text_index
from graphrec.recommend.functions import (
    MAX_K,
    cold_start,
    diverse,
    explain,
    explain_text,
    find_item,
    published_cut,
    recommend,
    recommend_realtime,
    similar_items,
)
from graphrec.recommend.library import coerce, examples, names, parameters, run_query
from graphrec.recommend.results import Explanation, Reason, Recommendation

__all__ = ["MAX_K", "Explanation", "Reason", "Recommendation", "coerce", "cold_start", "diverse", "examples", "explain",
           "explain_text", "find_item",
           "names", "parameters", "published_cut", "recommend", "recommend_realtime", "run_query", "similar_items",
           "text_index"]
