// Whether the database holds ratings already (benchmarks.diverse_bench loads MovieLens-100k u1 if not).
MATCH ()-[r:RATED]->()
RETURN count(r) > 0 AS any
