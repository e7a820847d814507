// The run's item query factors ($fold_prop) of the items $ids only: the items the refreshed users have
// and the neighbours new items are averaged from, not the whole catalogue. {{item}} is the mapped item
// label, {{item_id}} its id property.
UNWIND $ids AS id
MATCH (i:{{item}})
WHERE i.{{item_id}} = id
RETURN id, i[$fold_prop] AS f
