"""bansos: the domain logic of the provincial social-assistance registry pipeline.

The package follows the pipeline: ``extract`` finds and archives a kab/kota's monthly file,
``contract`` reads it as the province's template says, ``stage`` COPYs it into PostgreSQL,
``validate`` runs the Great Expectations suite on the staged rows, ``merge`` replaces the
kab/kota-month in the warehouse, ``publish`` refreshes the summary marts and ``alert`` tells
people when something is wrong. It imports and tests without a running Airflow.
"""
