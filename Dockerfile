# The app's one image: built once, started offline, run as a non-root user
# (docs/deployment.md). Every RUN line calls a script under deploy/ that
# tests/deploy/test_offline_start.py runs too, so the test cannot drift from the image.
#
#   docker build --build-arg VERSION=1.2.0 --build-arg COMMIT=$(git rev-parse HEAD) \
#       -t tiantrack:1.2.0 .
#
# It needs BuildKit (Docker 23 and later use it by default) for the RUN --mount below, and
# nothing else: no `# syntax=` line, which would fetch a frontend image from a registry.
#
# The base images are build arguments: where public registries are unreachable, name the
# internal registry's copies. Both must carry the same Python minor version, since the
# wheels are built for it.
ARG BUILDER_IMAGE=python:3.11-slim-bookworm
ARG RUNTIME_IMAGE=python:3.11-slim-bookworm

# --- builder: the only stage that reaches a package index ---------------------------------
FROM ${BUILDER_IMAGE} AS builder
WORKDIR /src
COPY requirements/app.txt requirements/app.txt
COPY deploy/build_wheels.sh deploy/build_wheels.sh
RUN sh deploy/build_wheels.sh requirements/app.txt /wheels

# --- runtime: only what runs ---------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:${PATH} \
    PYTHON=/opt/venv/bin/python \
    DJANGO_MEDIA_ROOT=/var/lib/tiantrack/media
WORKDIR /app
COPY deploy/install_system.sh deploy/install_system.sh
RUN sh deploy/install_system.sh
COPY deploy/install_runtime.sh deploy/verify_install.py deploy/
# The wheels are mounted from the builder, never copied into a layer of this image.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    sh deploy/install_runtime.sh /wheels /opt/venv
COPY . .
RUN sh deploy/collect_static.sh
# Last, so that a new version or commit reuses every layer above from the build cache.
ARG VERSION=unknown
ARG COMMIT=unknown
LABEL org.opencontainers.image.title="tiantrack" \
      org.opencontainers.image.description="提案答复追踪: proposals, replies and the commitments in them" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "deploy/healthcheck.py", "web"]
ENTRYPOINT ["/app/deploy/start.sh"]
CMD ["web"]
