"""The local Neo4j 5.26 LTS Community server graphrec starts itself (jars from Maven Central)."""
