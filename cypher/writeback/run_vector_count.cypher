// {{label}} nodes holding a run's vector property $prop. Parameters: $prop.
MATCH (n:{{label}})
WHERE n[$prop] IS NOT NULL
RETURN count(n) AS n
