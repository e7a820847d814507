// health: the active model run (the one recommend queries read), for `GET /health` of `graphrec serve`.
// One row; run is null when no run has been activated yet.
//
// Parameters: none.
OPTIONAL MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
RETURN run.id AS run
