// active_interactions: the relationship types the active run learnt from (null: it records none), read
// before recommend_realtime is rendered so that its seen filter expands only those types. No row when no
// run has been activated yet.
//
// Parameters: none.
MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
RETURN run.interactions AS interactions
