"""The warehouse as every stage uses it: connections, advisory locks and migrations (:mod:`.database`),
SQL files (:mod:`.sqlfiles`), roles, reference data, the submission ledger and the run's settings
(:mod:`.runtime`). Imports :mod:`bansos.domain` only."""
