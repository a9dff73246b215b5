# The autograder image: the kit with its hidden suites, the pinned torch, entry point `autograder`.
#
#   docker build -t dlf-autograder .                                   # CPU build of the torch that requirements.txt pins
#   docker build --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 -t dlf-autograder:cuda .
#   docker run --rm --network none -v "$PWD/subs:/submissions:ro" -v "$PWD/out:/out" \
#       dlf-autograder grade /submissions --out /out                  # add --gpus all on the CUDA image
#
# Build arguments:
#   BASE_IMAGE       a Debian-based image with Python 3.11 (python3 on PATH)
#   TORCH_INDEX_URL  where torch comes from: the CPU index (default) or a CUDA one (cu126, cu128, ...)
#   WHEELHOUSE       a folder of the build context holding wheels: when it has any, the build is offline
ARG BASE_IMAGE=python:3.11-slim

# ---- stage 1: a virtual environment with torch and the test runner (no pip, no caches, no C++ headers)
FROM ${BASE_IMAGE} AS deps
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG WHEELHOUSE=docker/wheelhouse
COPY ${WHEELHOUSE} /wheelhouse
COPY requirements.txt /requirements.txt
RUN python3 -m venv /opt/autograder-venv \
 && if ls /wheelhouse/*.whl >/dev/null 2>&1; then from="--no-index --find-links /wheelhouse"; \
    else from="--index-url ${TORCH_INDEX_URL} --extra-index-url https://pypi.org/simple"; fi \
 && /opt/autograder-venv/bin/pip install --no-cache-dir --disable-pip-version-check $from \
        -r /requirements.txt \
 && /opt/autograder-venv/bin/pip uninstall -y pip \
 && site=$(/opt/autograder-venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
 && rm -rf "$site/torch/include" "$site/torch/share/cmake"

# ---- stage 2: the runtime image, run as a user without privileges
FROM ${BASE_IMAGE}
COPY --from=deps /opt/autograder-venv /opt/autograder-venv
COPY pyproject.toml grading.toml /opt/kit/
COPY autograder /opt/kit/autograder
COPY solutions /opt/kit/solutions
COPY tests /opt/kit/tests
RUN useradd --system --uid 10001 --create-home --home-dir /home/grader grader \
 && printf '#!/bin/sh\nexec python -m autograder "$@"\n' > /opt/autograder-venv/bin/autograder \
 && chmod 755 /opt/autograder-venv/bin/autograder \
 && find /opt/kit -name __pycache__ -prune -exec rm -rf {} + \
 && chmod -R a+rX,go-w /opt/kit
ENV PATH=/opt/autograder-venv/bin:$PATH PYTHONPATH=/opt/kit PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER grader
WORKDIR /home/grader
ENTRYPOINT ["autograder"]
CMD ["--help"]
