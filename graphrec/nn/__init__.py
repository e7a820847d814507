"""Recommendation models: tensors and sizes in, tensors out (torch / PyG only)."""

from graphrec.nn.hetero import HeteroRec
from graphrec.nn.lightgcn import LightGCNRec
from graphrec.nn.loss import bpr_loss, l2_penalty
from graphrec.nn.popularity import Popularity
from graphrec.nn.sparse import normalized_adj

__all__ = ["HeteroRec", "LightGCNRec", "Popularity", "bpr_loss", "l2_penalty", "normalized_adj"]
