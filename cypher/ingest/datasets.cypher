// The loads recorded in this database.
MATCH (d:Dataset)
RETURN d.name AS name, coalesce(d.status, 'done') AS status, d.source_sha256 AS source_sha256,
       toString(d.loaded_at) AS loaded_at, toString(d.started_at) AS started_at, d.counts AS counts
ORDER BY name
