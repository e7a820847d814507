// Nodes with a label that is not allowlisted (so cannot be pasted into a query): a label scan.
MATCH (n)
WHERE $name IN labels(n)
RETURN count(n) AS n
