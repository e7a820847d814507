// All relationships of a small edge type in one query (a relationship-type scan; cheaper than paging
// by source nodes when the type is sparse), as columns of source and target business ids.
MATCH (s:{{src}})-[r:{{type}}]->(t:{{dst}})
WHERE s.id IS NOT NULL AND t.id IS NOT NULL
RETURN collect(s.id) AS src, collect(t.id) AS dst
