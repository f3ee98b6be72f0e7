"""The synthetic Jawa Timur (35) of the province-month benchmark: its three Airflow DAGs,
`bansos_monthly_35`, `bansos_publish_35` and `bansos_approval_35`, wired as every province's are.

Only the benchmark's own stack parses this folder (`benchmarks/province_month.py`: its DAGs folder, with
`dags/` on the path for the wiring modules and `BANSOS_PROVINCES_DIR` on `benchmarks/province/`).
"""

import bansos_approval
import bansos_monthly
import bansos_publish

monthly = bansos_monthly.build("35")()
publish = bansos_publish.build("35")()
approval = bansos_approval.build("35")()
