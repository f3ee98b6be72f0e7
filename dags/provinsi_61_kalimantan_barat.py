"""Kalimantan Barat (61): the province's three Airflow DAGs,
`bansos_monthly_61`, `bansos_publish_61` and `bansos_approval_61`.

Everything that differs between provinces is in `include/config/provinces/61-kalimantan-barat.toml` (kab/kota,
time zone, deadline, programme catalogue); the steps are wired once, in `bansos_monthly.py`,
`bansos_publish.py` and `bansos_approval.py`. A new province is its config file and a copy of this file with its code.
"""

import bansos_approval
import bansos_monthly
import bansos_publish

monthly = bansos_monthly.build("61")()
publish = bansos_publish.build("61")()
approval = bansos_approval.build("61")()
