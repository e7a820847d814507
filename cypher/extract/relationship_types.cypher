// Every relationship type in the database (fallback discovery when GRAPH COUNTS is not allowed).
CALL db.relationshipTypes() YIELD relationshipType
RETURN collect(relationshipType) AS types
