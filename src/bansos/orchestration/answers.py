"""The approval request's answers and form fields, without Airflow: the DAG's operator offers them, and a REST
client (``tools/devstack``, a data engineer's script) sends them back, without importing Airflow to know them."""

APPROVE_ALL = "Setujui semua (approve all)"
APPROVE_WITH_HELD = "Setujui, tahan sebagian kab/kota (approve with held)"
REJECT = "Tolak (reject)"
OPTIONS = (APPROVE_ALL, APPROVE_WITH_HELD, REJECT)
DECISION_OF = {APPROVE_ALL: "approved", APPROVE_WITH_HELD: "approved_with_held", REJECT: "rejected"}
CHANNELS = ("ui", "rest")
REQUEST_TASK_ID = "request"
ANSWER_TASK_ID = "approve"
