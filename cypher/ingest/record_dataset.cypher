// Record a finished load: one (:Dataset) per name, status 'done'; counts is a JSON string (maps cannot be
// properties).
MERGE (d:Dataset {name: $name})
SET d.status = 'done',
    d.source_sha256 = $source_sha256,
    d.loaded_at = datetime(),
    d.counts = $counts,
    d.files = $files,
    d.params = $params
RETURN d.name AS name
