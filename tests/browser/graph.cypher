// A small hand-made graph for the Browser test: three users, ten films with titles, genre and tag
// entities, ratings, and two model runs: the active one ('run-new') and an older one ('run-old') whose
// recommendation must never show.
UNWIND [
  {id: '1', title: 'Toy Story (1995)', genres: ['Animation', 'Children', 'Comedy'], tags: []},
  {id: '7', title: 'Twelve Monkeys (1995)', genres: ['Drama', 'Sci-Fi'], tags: []},
  {id: '50', title: 'Star Wars (1977)', genres: ['Action', 'Adventure', 'Sci-Fi', 'War'], tags: ['space opera']},
  {id: '71', title: 'Lion King, The (1994)', genres: ['Animation', 'Children', 'Musical'], tags: []},
  {id: '82', title: 'Jurassic Park (1993)', genres: ['Action', 'Adventure', 'Sci-Fi'], tags: []},
  {id: '95', title: 'Aladdin (1992)', genres: ['Animation', 'Children', 'Comedy', 'Musical'], tags: []},
  {id: '121', title: 'Independence Day (ID4) (1996)', genres: ['Action', 'Sci-Fi', 'War'], tags: []},
  {id: '172', title: 'Empire Strikes Back, The (1980)', genres: ['Action', 'Adventure', 'Sci-Fi', 'War'],
   tags: ['space opera']},
  {id: '181', title: 'Return of the Jedi (1983)', genres: ['Action', 'Adventure', 'Sci-Fi', 'War'],
   tags: ['space opera']},
  {id: '588', title: 'Beauty and the Beast (1991)', genres: ['Animation', 'Children', 'Musical'], tags: []}
] AS film
CREATE (i:Item {id: film.id, title: film.title})
WITH i, film
CALL (i, film) {
  UNWIND film.genres AS g
  MERGE (e:Entity:Genre {id: 'genre:' + g}) ON CREATE SET e.name = g, e.kind = 'genre'
  CREATE (i)-[:HAS_GENRE]->(e)
}
CALL (i, film) {
  UNWIND film.tags AS t
  MERGE (e:Entity:Tag {id: 'tag:' + t}) ON CREATE SET e.name = t, e.kind = 'tag'
  CREATE (i)-[:HAS_TAG]->(e)
}
;
UNWIND [['1', '172', 5.0], ['1', '181', 4.0], ['1', '1', 4.0], ['1', '71', 3.0],
        ['2', '172', 5.0], ['2', '50', 5.0], ['2', '82', 4.0],
        ['3', '1', 4.0], ['3', '95', 4.0], ['3', '588', 5.0], ['3', '50', 3.0]] AS r
MERGE (u:User {id: r[0]})
WITH u, r
MATCH (i:Item {id: r[1]})
CREATE (u)-[:RATED {rating: r[2], ts: 874965758, split: 'train'}]->(i)
;
CREATE (:ModelRun {id: 'run-old', model: 'lightgcn', active: false, status: 'retired', activated: 1,
                   created: datetime('2026-11-20T10:00:00Z'), params: '{}', metrics: '{"recall@20": 0.21}'})
CREATE (:ModelRun {id: 'run-new', model: 'hetero', active: true, status: 'active', activated: 2,
                   prop: 'embedding_run_new', item_index: 'item_embedding_run_new', mips_index: 'item_mips_run_new',
                   created: datetime('2026-11-23T10:00:00Z'), params: '{}', metrics: '{"recall@20": 0.31}'})
;
MATCH (u:User {id: '1'})
UNWIND [['50', 0.93, 1], ['82', 0.81, 2], ['121', 0.77, 3], ['95', 0.70, 4], ['588', 0.64, 5]] AS rec
MATCH (i:Item {id: rec[0]})
CREATE (u)-[:RECOMMENDED {score: rec[1], rank: rec[2], run: 'run-new'}]->(i)
;
MATCH (u:User {id: '1'}), (i:Item {id: '7'})
CREATE (u)-[:RECOMMENDED {score: 0.99, rank: 1, run: 'run-old'}]->(i)
