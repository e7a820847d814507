// Give the lease $name back, if $token still holds it. Parameters: $name, $token.
MATCH (l:GraphrecLock {name: $name, token: $token})
DELETE l
RETURN count(*) AS released
