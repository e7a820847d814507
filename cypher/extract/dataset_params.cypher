// The load options of every finished load ((:Dataset).params, a JSON string): per-behaviour min_weight
// from a CSV mapping lives there.
MATCH (d:Dataset)
WHERE coalesce(d.status, 'done') = 'done' AND d.params IS NOT NULL
RETURN d.name AS name, d.params AS params
ORDER BY name
