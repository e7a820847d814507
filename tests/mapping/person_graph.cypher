// A graph in the shape of Neo4j's recommendations example, built with plain Cypher (no graphrec
// loader): (:Person {personId, name})-[:REVIEWED {stars, ts}]->(:Movie {movieId, title, plot})
// -[:IN_GENRE]->(:Genre {name}). Rows come from ml-100k (tests/mapping/test_mapped_graph.py).
UNWIND $genres AS g
CREATE (:Genre {name: g})
;
UNWIND $movies AS m
CREATE (movie:Movie {movieId: m.id, title: m.title, plot: m.plot})
WITH movie, m
UNWIND m.genres AS g
MATCH (genre:Genre {name: g})
CREATE (movie)-[:IN_GENRE]->(genre)
;
UNWIND $people AS p
CREATE (:Person {personId: p, name: 'Person ' + p})
;
UNWIND $ratings AS r
MATCH (p:Person {personId: r.user}), (m:Movie {movieId: r.movie})
CREATE (p)-[:REVIEWED {stars: r.stars, ts: r.ts}]->(m)
