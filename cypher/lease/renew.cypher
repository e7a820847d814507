// Extend the lease $name held by $token by $ttl seconds; returns no row when it is no longer held.
// Parameters: $name, $token, $ttl.
MATCH (l:GraphrecLock {name: $name, token: $token})
SET l.expires = datetime() + duration({seconds: $ttl})
RETURN toString(l.expires) AS expires
