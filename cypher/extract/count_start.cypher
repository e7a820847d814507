// Relationships of one type that start at a label (answered from the count store).
MATCH (:{{src}})-[r:{{type}}]->()
RETURN count(r) AS count
