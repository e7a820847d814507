// Relationships of one type between two labels (an expand; used only when the count store is ambiguous).
MATCH (:{{src}})-[r:{{type}}]->(:{{dst}})
RETURN count(r) AS count
