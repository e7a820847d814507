// The relationships of one type leaving a page of source nodes, as columns: the source's position
// in $ids and the target's business id. Targets without an id are skipped (they are not in any id map).
UNWIND range(0, size($ids) - 1) AS k
MATCH (s:{{src}})-[r:{{type}}]->(t:{{dst}})
WHERE s.{{src_id}} = $ids[k] AND t.{{dst_id}} IS NOT NULL
RETURN collect(k) AS src, collect(t.{{dst_id}}) AS dst
