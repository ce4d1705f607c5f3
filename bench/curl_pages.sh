#!/usr/bin/env bash
# The network-only floor: fetch every page of the active-registrations listing with curl, following
# result_info.cursor, and nothing else (no decoding, no rules, no actions). One curl process per page
# (each opens its own loopback connection); the cursor is read from the tail of the page with bash.
# EXTRA is appended to the query, e.g. "seen_before=2026-09-01T10:00:01Z" to fetch the pages ztguardd fetches.
#   CLOUDFLARE_API_TOKEN=… bench/curl_pages.sh http://127.0.0.1:PORT/client/v4 ACCOUNT_ID [PER_PAGE [EXTRA]]
set -euo pipefail
base=$1 account=$2 per_page=${3:-1000} extra=${4:-}
page=$(mktemp) ; trap 'rm -f "$page"' EXIT
url="$base/accounts/$account/devices/registrations?per_page=$per_page&status=active${extra:+&$extra}"
cursor="" pages=0
while :; do
  curl -sS --fail -H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" -o "$page" "$url${cursor:+&cursor=$cursor}"
  pages=$((pages + 1))
  tail=$(tail -c 400 "$page")
  [[ $tail =~ \"cursor\":\"([^\"]*)\" ]] && cursor=${BASH_REMATCH[1]} || cursor=""
  [[ -n $cursor ]] || break
done
echo "curl_pages: $pages pages" >&2
