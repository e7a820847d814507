"""The local Neo4j that ``graphrec db start`` runs: jars resolved from Maven Central with ``pom.xml``
(:mod:`~graphrec.localdb.runtime`) and a server process under ``$GRAPHREC_HOME`` (:mod:`~graphrec.localdb.local`).
Not the HTTP API, which is :mod:`graphrec.serve`."""
