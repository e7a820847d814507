// The naive way to read one edge type, kept for the loader benchmark's comparison only: one
// record per relationship, iterated in Python. ($split_key/$ts_key avoid warnings on KG types.)
MATCH (s:{{src}})-[r:{{type}}]->(t:{{dst}})
RETURN s.id AS src, t.id AS dst, r[$split_key] AS split, r[$ts_key] AS ts
