// The length of the first non-empty text embedding ($text_key) on a node of a label; no row when none has one.
MATCH (n:{{label}})
WHERE size(n[$text_key]) > 0
RETURN size(n[$text_key]) AS dim
LIMIT 1
