// Browser guide, slide "Model runs": every published run, the active one first.
MATCH (r:ModelRun)
RETURN r.id AS run, r.model AS model, r.active AS active, r.status AS status, r.created AS created,
       r.metrics AS metrics
ORDER BY r.active DESC, r.created DESC
