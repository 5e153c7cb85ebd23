"""Rasa's conversation stores for a team deployment (several Rasa replicas).

Rasa loads these by module path from an endpoints file (``deploy/endpoints.team.yml``):

* ``rasa_stores.redis_lock_store.AtomicRedisLockStore``: the lock store. One
  conversation is handled by one replica at a time, in the order its messages came,
  with every ticket drawn and returned in one atomic Redis step.
* ``rasa_stores.sql_tracker_store.StrictSQLTrackerStore``: the tracker store on
  PostgreSQL, with a bounded connection pool, a bounded wait for the database at start,
  and failures that reach the caller instead of Rasa's silent in-memory fallback.

This package depends on Rasa; the plain-Python core (``dealcoach/``) does not import it.
The single-machine default (``endpoints.yml``: SQLite tracker store, Rasa's in-memory
lock store) does not use it.
"""
