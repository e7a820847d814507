// The database's labels, relationship types and property keys: graph-mapping names are checked
// against these before any of them is pasted into a query.
CALL db.labels() YIELD label
WITH collect(label) AS labels
CALL db.relationshipTypes() YIELD relationshipType
WITH labels, collect(relationshipType) AS types
CALL db.propertyKeys() YIELD propertyKey
RETURN labels, types, collect(propertyKey) AS keys
