// Every node in the database (the bulk import refuses a non-empty database: it would replace it).
MATCH (n)
RETURN count(n) AS n
