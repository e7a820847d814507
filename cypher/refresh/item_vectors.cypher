// Every item with a vector of the run ($prop), with its query factors ($fold_prop, null when the run
// has none). {{item}} is the mapped item label, {{item_id}} its id property.
MATCH (i:{{item}})
WHERE i[$prop] IS NOT NULL
RETURN i.{{item_id}} AS id, i[$prop] AS v, CASE WHEN $fold_prop IS NULL THEN null ELSE i[$fold_prop] END AS f
