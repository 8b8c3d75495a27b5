#!/bin/sh
# One-shot: create the buckets the services use (idempotent).
# - signif-coffre: actes and annexes. Object Lock can only be enabled when a bucket is created; the
#   coffre sets COMPLIANCE retention on every object it writes (SIGNIF_BLOB_URL lock_days), and
#   `S3BlobStore.ensure_bucket()` refuses a bucket that was created without Object Lock.
# - signif-consent: identity proofs (encrypted). No lock: the 5-year purge must be able to delete them.
set -eu

mc alias set signif http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing --with-lock signif/signif-coffre
mc mb --ignore-existing signif/signif-consent
echo "buckets ready"
