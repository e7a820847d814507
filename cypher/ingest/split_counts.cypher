// Relationships per (type, split) for every relationship that carries a split (behaviours).
MATCH ()-[r]->()
WHERE r.split IS NOT NULL
RETURN type(r) AS type, r.split AS split, count(*) AS n
ORDER BY type, split
