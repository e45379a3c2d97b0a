"""python-tuf's own client (tuf.ngclient.Updater), driven like the Rust `tuf-client`.

Usage:
    client.py --metadata-dir D init ROOT_JSON
    client.py --metadata-dir D --metadata-url U refresh
    client.py --metadata-dir D --metadata-url U --target-base-url T --target-dir O download NAME...

Exit status 0 on success, 1 on any failure; a failure prints the exception's class and message
to standard error (e.g. "BadVersionNumberError: ..."). A downloaded target is written to
O/<quote(name, safe="")>, as the Rust client writes it. The interoperability tests run it
against the same served repository as the Rust client and check that both refuse an attack.
"""

import argparse
import sys
from pathlib import Path

from tuf.ngclient import Updater


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--metadata-dir", required=True)
    p.add_argument("--metadata-url")
    p.add_argument("--target-base-url")
    p.add_argument("--target-dir")
    p.add_argument("command", choices=["init", "refresh", "download"])
    p.add_argument("args", nargs="*")
    a = p.parse_args()
    try:
        if a.command == "init":
            (root,) = a.args
            Path(a.metadata_dir).mkdir(parents=True, exist_ok=True)
            # The Updater checks the root and keeps it as the trusted root.json.
            Updater(a.metadata_dir, "http://unused.invalid/", bootstrap=Path(root).read_bytes())
            return 0
        updater = Updater(
            a.metadata_dir, a.metadata_url, a.target_dir, a.target_base_url, bootstrap=None
        )
        updater.refresh()
        if a.command == "download":
            for name in a.args:
                info = updater.get_targetinfo(name)
                if info is None:
                    print(f"TargetNotFound: {name} is not listed by any trusted role",
                          file=sys.stderr)
                    return 1
                updater.download_target(info)
        return 0
    except Exception as e:  # noqa: BLE001 - every refusal is reported the same way
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
