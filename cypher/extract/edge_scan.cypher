// All relationships of a small edge type in one query (a relationship-type scan; cheaper than paging
// by source nodes when the type is sparse), as columns of source and target business ids.
MATCH (s:{{src}})-[r:{{type}}]->(t:{{dst}})
WHERE s.{{src_id}} IS NOT NULL AND t.{{dst_id}} IS NOT NULL
RETURN collect(s.{{src_id}}) AS src, collect(t.{{dst_id}}) AS dst
