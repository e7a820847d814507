"""A tiny recommendation graph written with Cypher, shared by the loader and GDS tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver

# Four users, five items, genres, a KG entity, a user attribute, friends, two behaviours,
# a RECOMMENDED edge (model output, never loaded) and a Dataset node (not a node type).
TINY_GRAPH = """
UNWIND ['u1', 'u2', 'u3', 'u4'] AS id CREATE (:User {id: id, age: toInteger(substring(id, 1)) * 10})
;
UNWIND ['i1', 'i2', 'i3', 'i4', 'i5'] AS id CREATE (:Item {id: id, title: 'Item ' + id})
;
CREATE (:Entity:Genre {id: 'genre:A', name: 'A', kind: 'genre'}),
       (:Entity:Genre {id: 'genre:B', name: 'B', kind: 'genre'}),
       (:Entity {id: 'kg:x', name: 'X', kind: 'kg'}),
       (:Entity:Occupation {id: 'occupation:writer', name: 'writer', kind: 'occupation'}),
       (:Dataset {name: 'tiny'})
;
UNWIND [['u1','i1','train',100], ['u1','i2','train',200], ['u1','i3','test',300],
        ['u2','i1','train',100], ['u2','i4','valid',150], ['u2','i5','test',400],
        ['u3','i2','train',50],  ['u3','i3','train',60],  ['u4','i5','train',70]] AS r
MATCH (u:User {id: r[0]}), (i:Item {id: r[1]})
CREATE (u)-[:RATED {rating: 4.0, ts: r[3], split: r[2]}]->(i)
;
MATCH (u:User {id: 'u3'}), (i:Item {id: 'i1'}) CREATE (u)-[:LISTENED {weight: 3.0, split: 'train'}]->(i)
;
UNWIND [['i1','genre:A'], ['i2','genre:A'], ['i2','genre:B'], ['i3','genre:B']] AS r
MATCH (i:Item {id: r[0]}), (e:Entity {id: r[1]}) CREATE (i)-[:HAS_GENRE]->(e)
;
MATCH (e:Entity {id: 'genre:A'}), (x:Entity {id: 'kg:x'}) CREATE (e)-[:SUBGENRE_OF {source: 'sub'}]->(x)
;
MATCH (u:User {id: 'u1'}), (e:Entity {id: 'occupation:writer'}) CREATE (u)-[:HAS_OCCUPATION]->(e)
;
MATCH (a:User {id: 'u1'}), (b:User {id: 'u2'}) CREATE (a)-[:FRIEND]->(b)
;
MATCH (u:User {id: 'u1'}), (i:Item {id: 'i5'}) CREATE (u)-[:RECOMMENDED {score: 1.0, rank: 1, run: 'r'}]->(i)
"""

RATED = {("u1", "i1"): "train", ("u1", "i2"): "train", ("u1", "i3"): "test", ("u2", "i1"): "train",
         ("u2", "i4"): "valid", ("u2", "i5"): "test", ("u3", "i2"): "train", ("u3", "i3"): "train",
         ("u4", "i5"): "train"}


def run_script(driver: Driver, script: str) -> None:
    """Run the statements of a fixture script (separated by lines holding only ';')."""
    for stmt in script.split("\n;\n"):
        if stmt.strip():
            driver.execute_query(stmt)


@pytest.fixture
def tiny(db: Driver) -> Iterator[Driver]:
    """The empty test database with :data:`TINY_GRAPH` written into it."""
    run_script(db, TINY_GRAPH)
    yield db
