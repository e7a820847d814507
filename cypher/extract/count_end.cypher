// Relationships of one type that end at a label (answered from the count store).
MATCH ()-[r:{{type}}]->(:{{dst}})
RETURN count(r) AS count
