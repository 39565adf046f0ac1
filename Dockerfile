# varmatch container: the package installed from this repository, run as a non-root user.
#   docker build -t varmatch:0.1.0 .
#   docker run --rm -v "$PWD":/data -w /data varmatch:0.1.0 run tumor.vcf.gz -t NPC --out results/
FROM python:3.11-slim

LABEL org.opencontainers.image.title="varmatch" \
      org.opencontainers.image.description="PI3K/AKT/mTOR-pathway alterations matched to a tiered, cited knowledgebase (research use only)" \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# procps: Nextflow reads task metrics with `ps`; cyvcf2 and pysam ship manylinux wheels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends procps \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . /src
# a stale local build/ or *.egg-info must not leak into the wheel
RUN rm -rf /src/build /src/dist /src/*.egg-info \
    && python -m pip install /src \
    && rm -rf /src \
    && varmatch --version

RUN useradd --create-home --uid 1000 --shell /usr/sbin/nologin varmatch
USER varmatch
WORKDIR /data

ENTRYPOINT ["varmatch"]
CMD ["--help"]
