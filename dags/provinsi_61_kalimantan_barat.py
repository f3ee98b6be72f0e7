"""Kalimantan Barat (61): the province's three Airflow DAGs,
`bansos_monthly_61`, `bansos_publish_61` and `bansos_approval_61`.

Everything that differs between provinces is in `include/config/provinces/61-kalimantan-barat.toml` (kab/kota,
time zone, deadline, programme catalogue); the steps are wired once, in `bansos_monthly.py`,
`bansos_publish.py` and `bansos_approval.py`, and `bansos_province.py` builds the three (only the one a worker's
task needs). A new province is its config file and a copy of this file with its code.
"""

import bansos_province

monthly, publish, approval = bansos_province.build("61")
