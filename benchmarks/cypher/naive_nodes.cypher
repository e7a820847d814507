// The naive way to read node ids (loader benchmark comparison only): one record per node.
MATCH (n:{{label}})
RETURN n.id AS id
ORDER BY id
