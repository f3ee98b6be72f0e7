"""What the DAGs call: the task functions (:mod:`.steps`), the landing sensor and trigger
(:mod:`.waiting`) and the Assets (:mod:`.assets`). The one subpackage that wires the stages together."""
