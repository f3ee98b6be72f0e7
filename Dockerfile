# Airflow image for the bansos pipeline.
#
# Extends the official image as described in
# https://airflow.apache.org/docs/docker-stack/build.html ("Extending the image"):
# the project's exact pins from requirements.txt, then the project itself, are installed as the `airflow`
# user on top of apache/airflow. Keep the tag in step with the Airflow version the
# project is tested against (AIRFLOW_VERSION is set by the base image).
FROM apache/airflow:3.3.2-python3.11

USER airflow

COPY --chown=airflow:0 requirements.txt /opt/airflow/requirements.txt

# Passing apache-airflow==${AIRFLOW_VERSION} alongside the requirements keeps pip
# from silently upgrading or downgrading Airflow itself while resolving them.
RUN pip install --no-cache-dir \
        "apache-airflow==${AIRFLOW_VERSION}" \
        -r /opt/airflow/requirements.txt

# The project itself, as a package: `bansos` with its SQL, GX suite, reference data and
# province configs as package data (the links in src/bansos/_resources/ resolve to the
# copied folders at build time). The DAG files come from the mounted dags/ folder.
COPY --chown=airflow:0 pyproject.toml README.md /opt/bansos/
COPY --chown=airflow:0 src /opt/bansos/src
COPY --chown=airflow:0 include /opt/bansos/include
COPY --chown=airflow:0 expectations /opt/bansos/expectations
RUN pip install --no-cache-dir --no-deps /opt/bansos
