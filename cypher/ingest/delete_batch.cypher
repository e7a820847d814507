// Empty the graph a batch at a time (benchmarks start each case from an empty database); run until 0.
MATCH (n)
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted
