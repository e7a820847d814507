// The loads recorded in this database.
MATCH (d:Dataset)
RETURN d.name AS name, d.source_sha256 AS source_sha256, toString(d.loaded_at) AS loaded_at, d.counts AS counts
ORDER BY name
