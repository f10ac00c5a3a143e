# syntax=docker/dockerfile:1
# The Attrib image: one `attrib` entry point for every role (collector, worker,
# sink, deliver; the Helm chart picks the command). Build it with `make image`.
#
# Stage 1 builds the wheel of this project and the wheels of its dependencies;
# stage 2 installs them into a slim Python without compilers or pip caches and
# runs as an unprivileged user. The root filesystem may be read-only: data
# goes to /var/lib/attrib (a volume in Kubernetes), temporary files to /tmp.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY agents ./agents
COPY tables ./tables
COPY avro ./avro
# The same command tests/packaging/test_wheel.py runs: the project's wheel, then
# every dependency's wheel (no chdb: production talks to a ClickHouse server).
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && pip wheel --wheel-dir /wheels /wheels/attrib-*.whl

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ATTRIB_DATA_DIR=/var/lib/attrib
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels attrib \
 && python -m compileall -q "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && groupadd --system --gid 10001 attrib \
 && useradd --system --uid 10001 --gid attrib --home-dir /var/lib/attrib --shell /usr/sbin/nologin attrib \
 && mkdir -p /var/lib/attrib \
 && chown attrib:attrib /var/lib/attrib
USER 10001:10001
WORKDIR /var/lib/attrib
VOLUME ["/var/lib/attrib"]
EXPOSE 8080 6066
ENTRYPOINT ["attrib"]
CMD ["--help"]
