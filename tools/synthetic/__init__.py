"""Synthetic monthly extracts, so the pipeline can be built and tested without personal data.

Real extracts carry NIK, No KK, names and birth dates, which are protected personal data
(UU Adminduk art. 84, UU PDP No. 27/2022) and must never sit in a developer's checkout or a
test fixture. This package writes files that look and count like the real ones instead:
identities that pass the structural checks (real kecamatan prefixes, birth dates inside the
NIK, +40 for women), amounts inside the province's programme rules, and yearly totals that
reproduce the province's published report.

Modules, following the flow data takes:

* ``seeding``     one independent random stream per (seed, kab/kota, step)
* ``layout``      the template's columns and the landing folder/file names
* ``regions``     kecamatan and desa codes of a kab/kota (``include/reference/wilayah.csv``)
* ``names``       Indonesian given names, family names and street names
* ``identities``  NIK and No KK numbers that are structurally valid and never collide
* ``households``  the household registry of one kab/kota: who, where, desil, bank account
* ``targets``     the yearly figures to reproduce, read from ``targets/*.toml``
* ``allocation``  which households receive which programme in a year
* ``schedule``    in which month each member is paid
* ``payments``    amounts, channels and payout days inside the programme rules
* ``rows``        distributions -> rows in the extract template's columns
* ``writer``      rows -> a CSV file in the landing layout
* ``kepri2022``, ``batam2023``, ``bulk``, ``month`` (one month of a province from its targets: Kaltim
  2022-12, Kalbar 2024-10; recipients counted in each programme's unit): the datasets; ``cli``: the command

Building rows and writing files are separate steps so that a later defect switch can damage
rows (bad NIK, blank names) or the file format (semicolons, cp1252) in between.
"""

from tools.synthetic.batam2023 import write_batam_blt_2023
from tools.synthetic.bulk import write_bulk_extract
from tools.synthetic.kepri2022 import write_kepri_2022, write_year
from tools.synthetic.month import write_month

__all__ = ["write_batam_blt_2023", "write_bulk_extract", "write_kepri_2022", "write_month", "write_year"]
