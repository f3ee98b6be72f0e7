"""Kepulauan Riau (21): the province's two Airflow DAGs, `bansos_monthly_21` and `bansos_publish_21`.

Everything that differs between provinces is in `include/config/provinces/21-kepulauan-riau.toml` (kab/kota,
time zone, deadline, programme catalogue); the steps are wired once, in `bansos_monthly.py` and
`bansos_publish.py`. A new province is its config file and a copy of this file with its code.
"""

import bansos_monthly
import bansos_publish

monthly = bansos_monthly.build("21")()
publish = bansos_publish.build("21")()
