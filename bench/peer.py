#!/usr/bin/env python3
"""The job ztguardd does, as an administrator would script it with the official Cloudflare Python SDK.

List the account's active WARP registrations, select those unseen for --days days (90), revoke them in
batches of --batch-size (50). It is the peer of a ztguardd configuration with one rule
`action = "revoke"`, `[rule.match] last_seen_older_than = "90d"`, `batch_size = 50`, `per_page = 1000`.

    CLOUDFLARE_API_TOKEN=… bench/.venv/bin/python bench/peer.py \
        --base-url http://127.0.0.1:PORT/client/v4 --account-id ID [--dry-run] [--ids-out FILE]

Prints one summary line on stderr: listed, selected, revoked, wall seconds.
"""

import argparse
import datetime
import os
import sys
import time
import warnings

import cloudflare


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="API base, e.g. http://127.0.0.1:PORT/client/v4")
    parser.add_argument("--account-id", required=True)
    parser.add_argument("--days", type=int, default=90, help="select registrations unseen for longer than this")
    parser.add_argument("--batch-size", type=int, default=50, help="ids per revoke request")
    parser.add_argument("--per-page", type=int, default=1000, help="registrations per listing page")
    parser.add_argument("--dry-run", action="store_true", help="select, but revoke nothing")
    parser.add_argument("--ids-out", help="write the selected registration ids here, one a line")
    args = parser.parse_args()

    started = time.monotonic()
    # The token comes from CLOUDFLARE_API_TOKEN, as the SDK reads it by default.
    client = cloudflare.Cloudflare(base_url=args.base_url)
    cutoff = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=args.days)

    listed = 0
    selected: list[str] = []
    # The SDK's auto-pagination follows result_info.cursor until it is empty.
    for registration in client.zero_trust.devices.registrations.list(
        account_id=args.account_id, status="active", per_page=args.per_page
    ):
        listed += 1
        last_seen = datetime.datetime.fromisoformat(registration.last_seen_at.replace("Z", "+00:00"))
        if last_seen < cutoff:
            selected.append(registration.id)

    revoked = 0
    if not args.dry_run:
        # `revoke` is marked deprecated in favour of delete; it is still the revoke endpoint.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for start in range(0, len(selected), args.batch_size):
                batch = selected[start : start + args.batch_size]
                client.zero_trust.devices.registrations.revoke(account_id=args.account_id, id=batch)
                revoked += len(batch)

    if args.ids_out:
        with open(args.ids_out, "w", encoding="utf-8") as out:
            out.writelines(f"{i}\n" for i in selected)
    print(
        f"peer: listed={listed} selected={len(selected)} revoked={revoked} "
        f"wall={time.monotonic() - started:.3f}s sdk={cloudflare.__version__}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
