// All relationships of a small behaviour type in one query, as columns: source and target business
// ids, split code (0 train, 1 valid, 2 test), the timestamp property $ts_key (-1 where missing, and
// everywhere unless $with_ts) and, when $with_weight, the weight property $weight_key.
MATCH (s:{{src}})-[r:{{type}}]->(t:{{dst}})
WHERE s.{{src_id}} IS NOT NULL AND t.{{dst_id}} IS NOT NULL
RETURN collect(s.{{src_id}}) AS src,
       collect(t.{{dst_id}}) AS dst,
       collect(CASE r[$split_key] WHEN 'valid' THEN 1 WHEN 'test' THEN 2 ELSE 0 END) AS split,
       collect(CASE WHEN $with_ts THEN coalesce(toIntegerOrNull(r[$ts_key]), -1) ELSE -1 END) AS ts,
       collect(CASE WHEN $with_weight THEN [toFloatOrNull(r[$weight_key])] ELSE [] END) AS weight
