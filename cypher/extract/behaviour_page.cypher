// The behaviour relationships leaving a page of users, as columns: the user's position in $ids,
// the item's business id, the split code (0 train, 1 valid, 2 test), the timestamp property $ts_key
// (-1 where missing, and everywhere unless $with_ts: relationship property reads are most of this
// query's cost) and, when $with_weight, the weight property $weight_key ([null] where missing).
// {{src_id}}/{{dst_id}} are the user and item id properties of the graph mapping.
UNWIND range(0, size($ids) - 1) AS k
MATCH (s:{{src}})-[r:{{type}}]->(t:{{dst}})
WHERE s.{{src_id}} = $ids[k] AND t.{{dst_id}} IS NOT NULL
RETURN collect(k) AS src,
       collect(t.{{dst_id}}) AS dst,
       collect(CASE r[$split_key] WHEN 'valid' THEN 1 WHEN 'test' THEN 2 ELSE 0 END) AS split,
       collect(CASE WHEN $with_ts THEN coalesce(toIntegerOrNull(r[$ts_key]), -1) ELSE -1 END) AS ts,
       collect(CASE WHEN $with_weight THEN [toFloatOrNull(r[$weight_key])] ELSE [] END) AS weight
