// Delete one run's RECOMMENDED relationships in batches (uses the index on RECOMMENDED.run).
// Needs an implicit (auto-commit) transaction. Parameters: $run, $batch.
MATCH ()-[r:RECOMMENDED {run: $run}]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS
