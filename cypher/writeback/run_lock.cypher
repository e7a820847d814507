// Inside the activation transaction: write-lock run $run and read its status, so a concurrent prune
// (which marks 'deleting' under the same lock) cannot slip in between the check and the switch.
// Parameters: $run.
MATCH (r:ModelRun {id: $run})
SET r.checked_at = datetime()
RETURN r.status AS status, coalesce(r.active, false) AS active
