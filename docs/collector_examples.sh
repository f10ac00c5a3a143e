#!/usr/bin/env bash
# Every example of docs/collector.md, against a running collector.
#   bash docs/collector_examples.sh            # the local stack (attrib local up)
#   ATTRIB_URL=http://127.0.0.1:18080 ATTRIB_ADMIN_TOKEN=... bash docs/collector_examples.sh
# Stops at the first answer that is not the one documented.
set -euo pipefail

URL="${ATTRIB_URL:-http://127.0.0.1:8080}"
TOKEN="${ATTRIB_ADMIN_TOKEN:-$(cat .attrib/admin-token)}"
APP=com.example.docs
KEY=docs-sdk-key
GAID=38400000-8cf0-11bd-b23e-10b96e40000d
IDFA=6D92078A-8246-4BA4-AE5B-76104861E7DC

expect() {  # expect STATUS curl-args...: run curl, print status and answer, check the status
  local want=$1; shift
  local answer status
  answer=$(curl -s -w '\n%{http_code}' "$@")
  status=${answer##*$'\n'}
  answer=${answer%$'\n'*}
  printf '  %s %s\n' "$status" "$(tr -d '\r' <<<"${answer:0:400}" | tr '\n' ' ')"
  [[ $status == "$want" ]] || { echo "expected $want" >&2; exit 1; }
}
json=(-H 'Content-Type: application/json')

echo "== register the app"
expect 200 -X PUT "$URL/v1/apps/$APP" -H "Authorization: Bearer $TOKEN" "${json[@]}" \
  -d '{"platform": "android", "sdk_key": "'$KEY'", "store_url": "https://play.google.com/store/apps/details?id='$APP'"}'

echo "== tracking links"
expect 302 -D - "$URL/v1/click/$APP?pid=netA&c=spring&clickid=n-42&advertising_id=$GAID"
expect 200 "$URL/v1/click/$APP?pid=netA&redirect=false&af_click_lookback=12h"
expect 204 "$URL/v1/impression/$APP?pid=netA&idfa=$IDFA"
expect 400 "$URL/v1/click/$APP?c=no-pid"

echo "== SDK endpoints"
sdk=(-H "X-Attrib-Key: $KEY" "${json[@]}")
expect 202 -X POST "$URL/v1/sdk/$APP/install" "${sdk[@]}" \
  -d '{"event_id": "docs-install", "device": {"advertising_id": "'$GAID'"}, "platform": "android",
       "install_referrer": "attrib_touch_id=06H1KXYKG3PXZ5MCDQRC1A85N0&pid=netA"}'
expect 202 -X POST "$URL/v1/sdk/$APP/session" "${sdk[@]}" \
  -d '{"event_id": "docs-s1", "device": {"advertising_id": "'$GAID'"},
       "deep_link": "mygame://promo?attrib_touch_id=06H1KXYKG3PXZ5MCDQRC1A85N0"}'
expect 202 -X POST "$URL/v1/sdk/$APP/event" "${sdk[@]}" \
  -d '{"event_id": "docs-e1", "device": {"advertising_id": "'$GAID'"},
       "event_name": "purchase", "revenue": 9.99, "currency": "USD", "values": {"sku": "gold"}}'
expect 401 -X POST "$URL/v1/sdk/$APP/session" -H "X-Attrib-Key: wrong" "${json[@]}" -d '{}'
expect 400 -X POST "$URL/v1/sdk/$APP/event" "${sdk[@]}" \
  -d '{"event_id": "docs-e2", "device": {"advertising_id": "'$GAID'"}, "event_name": "x", "currency": "EURO"}'

echo "== S2S batch"
expect 200 -X POST "$URL/v1/s2s/$APP/events" "${sdk[@]}" \
  -d '[{"type": "session", "event_id": "b-1", "device": {"idfa": "'$IDFA'"}},
       {"type": "event", "event_id": "b-2", "device": {"idfa": "'$IDFA'"}}]'

echo "== operations"
expect 200 "$URL/readyz"
expect 200 "$URL/openapi.json" -o /dev/null
echo "all examples answered as documented"
