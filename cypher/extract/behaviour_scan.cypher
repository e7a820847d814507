// All relationships of a small behaviour type in one query, as columns: source and target business
// ids, split code (0 train, 1 valid, 2 test) and `ts` (-1 where missing, and everywhere unless $with_ts).
MATCH (s:{{src}})-[r:{{type}}]->(t:{{dst}})
WHERE s.id IS NOT NULL AND t.id IS NOT NULL
RETURN collect(s.id) AS src,
       collect(t.id) AS dst,
       collect(CASE r[$split_key] WHEN 'valid' THEN 1 WHEN 'test' THEN 2 ELSE 0 END) AS split,
       collect(CASE WHEN $with_ts THEN coalesce(toIntegerOrNull(r[$ts_key]), -1) ELSE -1 END) AS ts
