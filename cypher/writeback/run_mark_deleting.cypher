// First step of deleting a run, in its own transaction before anything of it is deleted: status
// 'deleting', so no reader or `runs activate` takes a half-deleted run for a usable one. The active
// run is never marked. Returns no row when the run is active or missing. Parameters: $run.
MATCH (r:ModelRun {id: $run})
WHERE NOT coalesce(r.active, false)
SET r.status = 'deleting', r.deleting_at = datetime()
RETURN r.id AS run
