// Items without a vector of the run ($prop): added after it was published. {{item}} is the mapped item
// label, {{item_id}} its id property.
MATCH (i:{{item}})
WHERE i[$prop] IS NULL
RETURN i.{{item_id}} AS id
