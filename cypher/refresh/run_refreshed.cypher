// Record a refresh on run $run: the new counts of what it holds (JSON string, checked again when the run
// is activated), when, and how many refreshes so far.
MATCH (r:ModelRun {id: $run})
SET r.counts = $counts, r.refreshed_at = datetime(), r.refreshes = coalesce(r.refreshes, 0) + 1
RETURN r.id AS run
