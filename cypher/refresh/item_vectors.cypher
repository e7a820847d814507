// Every item with a vector of the run ($prop): the ranking of refreshed users is over all of them.
// {{item}} is the mapped item label, {{item_id}} its id property.
MATCH (i:{{item}})
WHERE i[$prop] IS NOT NULL
RETURN i.{{item_id}} AS id, i[$prop] AS v
