"""Kalimantan Barat (61): the province's three Airflow DAGs,
`bansos_monthly_61`, `bansos_publish_61` and `bansos_approval_61`.

Everything that differs between provinces is in `include/config/provinces/61-kalimantan-barat.toml` (kab/kota,
time zone, deadline, programme catalogue); the steps are wired once, in `bansos_monthly.py`,
`bansos_publish.py` and `bansos_approval.py`. A new province is its config file and a copy of this file with its code.
"""

import bansos_approval
import bansos_monthly
import bansos_publish
from airflow.sdk import get_parsing_context

# A worker parses this file again for each task it runs, with Airflow's parsing context naming that task's DAG:
# only that DAG is built then (a monthly task builds neither the approval nor the publish DAG). The dag-processor
# and the tests parse it with no context and get all three.
only = get_parsing_context().dag_id

if only in (None, bansos_monthly.dag_id("61")):
    monthly = bansos_monthly.build("61")()
if only in (None, bansos_publish.dag_id("61")):
    publish = bansos_publish.build("61")()
if only in (None, bansos_approval.dag_id("61")):
    approval = bansos_approval.build("61")()
