// Delete a ModelRun node that is not the active one. Parameters: $run.
MATCH (r:ModelRun {id: $run})
WHERE NOT coalesce(r.active, false)
DELETE r
RETURN count(*) AS deleted
