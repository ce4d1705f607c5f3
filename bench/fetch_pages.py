#!/usr/bin/env python3
"""The network-only floor, on one keep-alive connection: fetch every page of the active-registrations
listing, following result_info.cursor, and nothing else (the cursor is found with a byte search, the
page is not decoded). Standard library only.

    CLOUDFLARE_API_TOKEN=… python3 bench/fetch_pages.py http://127.0.0.1:PORT/client/v4 ACCOUNT_ID [PER_PAGE [EXTRA]]

EXTRA is appended to the query, e.g. "seen_before=2026-09-01T10:00:01Z" to fetch the pages ztguardd fetches.
"""
import http.client
import os
import re
import sys
import urllib.parse

CURSOR = re.compile(rb'"cursor":"([^"]*)"')


def main() -> int:
    base, account = sys.argv[1], sys.argv[2]
    per_page = sys.argv[3] if len(sys.argv) > 3 else "1000"
    extra = "&" + sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else ""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {"Authorization": "Bearer " + os.environ["CLOUDFLARE_API_TOKEN"]}
    path = f"{url.path}/accounts/{account}/devices/registrations?per_page={per_page}&status=active{extra}"
    cursor, pages, size = "", 0, 0
    while True:
        connection.request("GET", path + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}")
        pages += 1
        size += len(body)
        match = CURSOR.search(body, max(0, len(body) - 400))
        cursor = match.group(1).decode() if match else ""
        if not cursor:
            break
    print(f"fetch_pages: {pages} pages, {size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
