// Project the TRAINING interactions (given as index pairs into $users/$items, exactly a RecGraph's
// train split) plus the KG/social relationships of types $kg_types into an undirected GDS graph.
// Node labels are kept so embeddings can be streamed back per label. {{src_id}}/{{dst_id}} are the
// user and item id properties (graphrec's `id`, or the graph mapping's).
CALL () {
  UNWIND range(0, size($u) - 1) AS k
  MATCH (s:{{src}}), (t:{{dst}})
  WHERE s.{{src_id}} = $users[$u[k]] AND t.{{dst_id}} = $items[$i[k]]
  RETURN s, t
  UNION ALL
  MATCH (s)-[r]->(t)
  WHERE type(r) IN $kg_types
    AND any(l IN labels(s) WHERE l IN $labels) AND any(l IN labels(t) WHERE l IN $labels)
  RETURN s, t
}
WITH gds.graph.project($name, s, t,
       {sourceNodeLabels: labels(s), targetNodeLabels: labels(t)},
       {undirectedRelationshipTypes: ['*']}) AS g
RETURN g.graphName AS name, g.nodeCount AS nodes, g.relationshipCount AS relationships
