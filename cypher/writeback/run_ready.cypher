// Mark a staged run complete: its vectors, indexes and RECOMMENDED relationships are all written.
// Parameters: $run, $counts (JSON string: what was written).
MATCH (r:ModelRun {id: $run})
SET r.status = 'ready', r.counts = $counts
RETURN r.id AS run
