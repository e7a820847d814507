// Remove one run's per-run properties ($keys) from every {{label}} node, in batches.
// Needs an implicit (auto-commit) transaction. Parameters: $keys, $batch.
MATCH (n:{{label}})
CALL (n) { UNWIND $keys AS key REMOVE n[key] } IN TRANSACTIONS OF $batch ROWS
