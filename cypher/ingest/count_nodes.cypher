// Nodes with one label (answered from the count store).
MATCH (n:{{label}})
RETURN count(n) AS n
