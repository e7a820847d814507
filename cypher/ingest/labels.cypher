// Every node label in use.
CALL db.labels() YIELD label
RETURN label
ORDER BY label
