// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query item_by_title --cypher (with its :param lines)
// item_by_title: items whose title is $title, case-insensitively; when none is, those whose title
// contains it. `exact` says which, `matches` how many there are in all (at most $limit rows come
// back); `graphrec similar --title` takes a single match and lists the candidates otherwise.
// Cost: a scan of the item titles (catalogue-sized, run once per lookup). {{item}} is the graph
// mapping's item label (default Item), {{item_id}} its id property, $title_key its title property.
//
// Parameters (Neo4j Browser; every parameter a query names is required, from any client):
//   :param title => 'toy story (1995)'
//   :param limit => 10
//   :param title_key => 'title'
MATCH (i:{{item}}) WHERE i[$title_key] IS NOT NULL
WITH i, i[$title_key] AS title, toLower(toString(i[$title_key])) AS t, toLower(trim($title)) AS q
WHERE t CONTAINS q
WITH i, title, t = q AS exact
ORDER BY exact DESC, size(t), i.{{item_id}}
WITH collect({id: i.{{item_id}}, title: title, exact: exact}) AS found
WITH CASE WHEN any(f IN found WHERE f.exact) THEN [f IN found WHERE f.exact] ELSE found END AS found
UNWIND found[..$limit] AS f
RETURN f.id AS item, f.title AS title, f.exact AS exact, size(found) AS matches
