// Every item's id and title (the property $title_key), for matching a title loosely when no title
// contains the one asked for ("The Matrix (1999)" for "Matrix, The (1999)") and for suggesting the
// closest ones. Cost: a scan of the item titles. {{item}} is the item label, {{item_id}} its id property.
MATCH (i:{{item}}) WHERE i[$title_key] IS NOT NULL
RETURN i.{{item_id}} AS item, toString(i[$title_key]) AS title
ORDER BY item
