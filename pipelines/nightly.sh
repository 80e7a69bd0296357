#!/usr/bin/env bash
# Nightly batch: load yesterday's exports, score every customer as of yesterday, pull the lists.
# Meant for cron or an Airflow BashOperator; any failing step stops the run with a non-zero exit,
# and a failed scoring leaves the previous score run as the latest.
#
#   CRMLYTICS_DB=/srv/crm/crm.duckdb EXPORTS=/srv/exports pipelines/nightly.sh
set -euo pipefail

AS_OF="${AS_OF:-$(date -d yesterday +%F)}"
EXPORTS="${EXPORTS:?set EXPORTS to the folder of the day\'s export files}"
LISTS="${LISTS:-reports/lists/$AS_OF}"
MAPPINGS="${MAPPINGS:-pipelines/mappings}"

for table in customers products transactions interactions complaints; do
    shopt -s nullglob
    files=("$EXPORTS/$table"*.csv "$EXPORTS/$table"*.xlsx)
    shopt -u nullglob
    [ ${#files[@]} -eq 0 ] && continue
    map=()
    [ -f "$MAPPINGS/$table.yaml" ] && map=(--map "$MAPPINGS/$table.yaml")
    crmlytics ingest "$table" "${files[@]}" "${map[@]}"
done

crmlytics score --as-of "$AS_OF"

mkdir -p "$LISTS"
crmlytics export --segment at_risk --as-of "$AS_OF" --where "clv > 100" \
    --format xlsx --out "$LISTS/at_risk_high_value.xlsx"
crmlytics export --segment champions --as-of "$AS_OF" --hash-pii sha256 \
    --format csv --out "$LISTS/champions_hashed.csv"
