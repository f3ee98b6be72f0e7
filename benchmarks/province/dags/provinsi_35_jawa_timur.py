"""The synthetic Jawa Timur (35) of the province-month benchmark: its three Airflow DAGs,
`bansos_monthly_35`, `bansos_publish_35` and `bansos_approval_35`, built as every province's are
(`dags/bansos_province.py`).

Only the benchmark's own stack parses this folder (`benchmarks/province_month.py`: its DAGs folder, with
`dags/` on the path for the wiring modules and `BANSOS_PROVINCES_DIR` on `benchmarks/province/`).
"""

import bansos_province

monthly, publish, approval = bansos_province.build("35")
