// The behaviour relationships leaving a page of users, as columns: the user's position in $ids,
// the item's business id, the split code (0 train, 1 valid, 2 test) and `ts` (-1 where missing, and
// everywhere unless $with_ts: relationship property reads are most of this query's cost).
UNWIND range(0, size($ids) - 1) AS k
MATCH (s:{{src}} {id: $ids[k]})-[r:{{type}}]->(t:{{dst}})
WHERE t.id IS NOT NULL
RETURN collect(k) AS src,
       collect(t.id) AS dst,
       collect(CASE r[$split_key] WHEN 'valid' THEN 1 WHEN 'test' THEN 2 ELSE 0 END) AS split,
       collect(CASE WHEN $with_ts THEN coalesce(toIntegerOrNull(r[$ts_key]), -1) ELSE -1 END) AS ts
