// Relationships of a type that is not allowlisted (so cannot be pasted into a query): a scan.
MATCH ()-[r]->()
WHERE type(r) = $name
RETURN count(r) AS n
