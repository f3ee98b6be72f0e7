# Airflow image for the bansos pipeline.
#
# Extends the official image as described in
# https://airflow.apache.org/docs/docker-stack/build.html ("Extending the image"):
# the project's exact pins from requirements.txt are installed as the `airflow`
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
