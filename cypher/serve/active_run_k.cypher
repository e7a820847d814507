// active_run_k: the active model run and how many recommendations per user it published (its top-K),
// to tell an answer cut at K from a complete one. One row; run and k are null when no run is active.
//
// Parameters: none.
OPTIONAL MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
RETURN run.id AS run, run.k AS k
