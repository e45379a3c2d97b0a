"""Write TUF repositories with python-tuf for the Rust client's interoperability tests.

Usage: repo.py DIR COMMAND [OPTIONS]   (repo.py --help lists the commands)

Every command reads and extends the repository in DIR, which holds:

    DIR/repo/metadata/   what is served: N.root.json, timestamp.json, snapshot.json and
                         targets.json (V.snapshot.json, V.targets.json with consistent
                         snapshots), delegated roles as NAME.json (V.NAME.json)
    DIR/repo/targets/    the target files (dir/HASH.name with consistent snapshots)
    DIR/keys/KEYID.pem   private keys, PKCS#8 PEM without a password (test keys only)
    DIR/work/ROLE.json   the newest signed version of each role (the repository's state)
    DIR/work/ROLE.V.json every version ever signed; attacks replay old ones

Only python-tuf's Metadata API (tuf.api.metadata) and securesystemslib's CryptoSigner make
and sign the metadata, so the Rust client is tested against what the reference
implementation writes. Errors go to standard error with exit status 1.
"""

import argparse
import hashlib
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from securesystemslib.signer import CryptoSigner, Signer
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

TOP_LEVEL = ("root", "timestamp", "snapshot", "targets")

# The key type of each top-level role in a "mixed" repository.
MIXED = {"root": "ecdsa", "timestamp": "ed25519", "snapshot": "rsa", "targets": "ecdsa"}


def in_days(days: float) -> datetime:
    """A UTC expiry `days` from now, whole seconds (negative: already expired)."""
    return (datetime.now(timezone.utc) + timedelta(days=days)).replace(microsecond=0)


class Repo:
    """A repository directory (see the module docstring) and the keys that sign it."""

    def __init__(self, path: str):
        self.dir = Path(path)
        self.metadata = self.dir / "repo" / "metadata"
        self.targets = self.dir / "repo" / "targets"
        self.keys = self.dir / "keys"
        self.work = self.dir / "work"

    # -- keys -------------------------------------------------------------------------

    def new_key(self, keytype: str) -> CryptoSigner:
        """Generate a key of `keytype` (ed25519, ecdsa, rsa) and keep its private half."""
        generate = {
            "ed25519": CryptoSigner.generate_ed25519,
            "ecdsa": CryptoSigner.generate_ecdsa,  # ecdsa-sha2-nistp256
            "rsa": CryptoSigner.generate_rsa,  # rsassa-pss-sha256, 3072 bits
        }[keytype]
        signer = generate()
        self.keys.mkdir(parents=True, exist_ok=True)
        (self.keys / f"{signer.public_key.keyid}.pem").write_bytes(signer.private_bytes)
        return signer

    def signer(self, delegator: Metadata, keyid: str) -> Signer:
        """The signer of `keyid`, a key `delegator` (root or a targets role) lists."""
        uri = f"file2:{self.keys / f'{keyid}.pem'}"
        return Signer.from_priv_key_uri(uri, delegator.signed.get_key(keyid))

    def role_signers(self, delegator: Metadata, role: str) -> list[Signer]:
        """Signers for every key `delegator` authorises for `role`."""
        keyids = delegator.signed.get_delegated_role(role).keyids
        return [self.signer(delegator, k) for k in keyids]

    # -- metadata ---------------------------------------------------------------------

    def load(self, role: str, version: int | None = None) -> Metadata:
        """The newest signed `role` (or the given version) from DIR/work."""
        name = f"{role}.json" if version is None else f"{role}.{version}.json"
        return Metadata.from_file(str(self.work / name))

    def consistent(self) -> bool:
        """Whether the newest root asks for consistent snapshots."""
        return self.load("root").signed.consistent_snapshot

    def served_name(self, role: str, version: int, consistent: bool) -> str:
        """The file name a client asks for (version-prefixed with consistent snapshots)."""
        name = quote(role, safe="")
        if role == "root" or (consistent and role != "timestamp"):
            return f"{version}.{name}.json"
        return f"{name}.json"

    def write(self, md: Metadata, role: str, signers: list[Signer], consistent=None) -> bytes:
        """Sign `md` with exactly `signers`, keep it in DIR/work and serve it; returns the bytes."""
        md.signatures.clear()
        for s in signers:
            md.sign(s, append=True)
        data = md.to_bytes(JSONSerializer(compact=False))
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / f"{role}.json").write_bytes(data)
        (self.work / f"{role}.{md.signed.version}.json").write_bytes(data)
        if consistent is None:
            consistent = self.consistent()
        self.serve(self.served_name(role, md.signed.version, consistent), data)
        return data

    def serve(self, name: str, data: bytes) -> None:
        """Put `data` at repo/metadata/NAME (an attacker's tool as much as the publisher's)."""
        self.metadata.mkdir(parents=True, exist_ok=True)
        (self.metadata / name).write_bytes(data)

    def add_target(self, targets: Metadata, path: str, data: bytes) -> None:
        """List `path` in `targets` and write the file where a client fetches it."""
        info = TargetFile.from_data(path, data, ["sha256", "sha512"])
        targets.signed.targets[path] = info
        self.put_target_file(info, data)

    def put_target_file(self, info: TargetFile, data: bytes) -> None:
        """Write a target's file under the names a client fetches (dir/HASH.name for every
        listed hash with consistent snapshots, else its path)."""
        names = info.get_prefixed_paths() if self.consistent() else [info.path]
        for name in names:
            f = self.targets / name
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(data)

    # -- publishing -------------------------------------------------------------------

    def sign_targets(self, targets: Metadata) -> None:
        """Sign a new targets version with the root's targets keys."""
        self.write(targets, "targets", self.role_signers(self.load("root"), "targets"))

    def sign_delegated(self, delegator: Metadata, md: Metadata, role: str) -> None:
        """Sign a delegated targets role with the keys its delegator lists for it."""
        self.write(md, role, self.role_signers(delegator, role))

    def snapshot_and_timestamp(self, meta_versions: dict[str, int] | None = None) -> None:
        """Sign a new snapshot listing every targets role it lists at its newest version,
        plus (or instead) the roles and versions in `meta_versions`; then a new timestamp."""
        snapshot = self.load("snapshot")
        snapshot.signed.version += 1
        snapshot.signed.expires = in_days(7)
        for name in snapshot.signed.meta:
            role = name.removesuffix(".json")
            snapshot.signed.meta[name] = MetaFile(version=self.load(role).signed.version)
        for name, version in (meta_versions or {}).items():
            snapshot.signed.meta[f"{name}.json"] = MetaFile(version=version)
        self.write(snapshot, "snapshot", self.role_signers(self.load("root"), "snapshot"))
        self.timestamp(snapshot.signed.version)

    def timestamp(self, snapshot_version: int, expires: datetime | None = None) -> None:
        """Sign a new timestamp pinning `snapshot_version`."""
        timestamp = self.load("timestamp")
        timestamp.signed.version += 1
        timestamp.signed.expires = expires or in_days(1)
        timestamp.signed.snapshot_meta = MetaFile(version=snapshot_version)
        self.write(timestamp, "timestamp", self.role_signers(self.load("root"), "timestamp"))


# -- commands ---------------------------------------------------------------------------


def cmd_new(repo: Repo, args) -> None:
    """Version 1 of every role. Targets: hello.txt and dir/data.bin."""
    if repo.dir.exists() and any(repo.dir.iterdir()):
        sys.exit(f"{repo.dir} is not empty")
    types = MIXED if args.keys == "mixed" else {role: args.keys for role in TOP_LEVEL}
    root = Metadata(Root(expires=in_days(365), consistent_snapshot=args.consistent_snapshot))
    signers = {}
    for role in TOP_LEVEL:
        count = args.root_keys if role == "root" else 1
        signers[role] = [repo.new_key(types[role]) for _ in range(count)]
        for s in signers[role]:
            root.signed.add_key(s.public_key, role)
    root.signed.roles["root"].threshold = args.root_threshold
    repo.write(root, "root", signers["root"], args.consistent_snapshot)

    targets = Metadata(Targets(expires=in_days(90)))
    repo.add_target(targets, "hello.txt", b"hello from python-tuf\n")
    repo.add_target(targets, "dir/data.bin", bytes(range(256)) * 4)
    repo.write(targets, "targets", signers["targets"])
    snapshot = Metadata(Snapshot(expires=in_days(7)))
    repo.write(snapshot, "snapshot", signers["snapshot"])
    timestamp = Metadata(Timestamp(expires=in_days(1)))
    repo.write(timestamp, "timestamp", signers["timestamp"])


def cmd_publish(repo: Repo, args) -> None:
    """A new targets version (with any --target NAME=TEXT added), snapshot and timestamp."""
    targets = repo.load("targets")
    targets.signed.version += 1
    targets.signed.expires = in_days(90)
    for spec in args.target:
        name, _, text = spec.partition("=")
        repo.add_target(targets, name, text.encode())
    repo.sign_targets(targets)
    repo.snapshot_and_timestamp()


def cmd_new_root(repo: Repo, args) -> None:
    """Root version N+1 with the same keys, signed by them (a plain, valid rotation)."""
    old = repo.load("root")
    new = repo.load("root")
    new.signed.version += 1
    repo.write(new, "root", repo.role_signers(old, "root"))


def cmd_rotations(repo: Repo, args) -> None:
    """Root versions 2 to 4, each signed by a threshold of the old root keys and of the new.

    v2: root keys R1 (ecdsa), R2 (rsa), R3 (ed25519), threshold 1 -> 2
    v3: R1 removed, R4 (ecdsa) added, threshold 2; the timestamp key is replaced (ecdsa)
    v4: threshold 2 -> 1 with R4 alone; snapshot key replaced (rsa)
    Then a new targets, snapshot and timestamp signed with the current keys.
    """
    v1 = repo.load("root")
    (r1,) = repo.role_signers(v1, "root")
    r2, r3 = repo.new_key("rsa"), repo.new_key("ed25519")

    v2 = repo.load("root")
    v2.signed.version = 2
    v2.signed.add_key(r2.public_key, "root")
    v2.signed.add_key(r3.public_key, "root")
    v2.signed.roles["root"].threshold = 2
    repo.write(v2, "root", [r1, r2, r3])  # old threshold 1 (r1), new threshold 2 (r2, r3)

    r4, ts = repo.new_key("ecdsa"), repo.new_key("ecdsa")
    v3 = repo.load("root")
    v3.signed.version = 3
    v3.signed.revoke_key(r1.public_key.keyid, "root")
    v3.signed.add_key(r4.public_key, "root")
    for keyid in list(v3.signed.roles["timestamp"].keyids):
        v3.signed.revoke_key(keyid, "timestamp")
    v3.signed.add_key(ts.public_key, "timestamp")
    repo.write(v3, "root", [r2, r3, r4])  # old (v2) threshold 2 by r2, r3; new 2 by r3, r4

    sn = repo.new_key("rsa")
    v4 = repo.load("root")
    v4.signed.version = 4
    v4.signed.revoke_key(r2.public_key.keyid, "root")
    v4.signed.revoke_key(r3.public_key.keyid, "root")
    v4.signed.roles["root"].threshold = 1
    for keyid in list(v4.signed.roles["snapshot"].keyids):
        v4.signed.revoke_key(keyid, "snapshot")
    v4.signed.add_key(sn.public_key, "snapshot")
    repo.write(v4, "root", [r3, r4])  # old (v3) threshold 2 by r3, r4; new 1 by r4

    cmd_publish(repo, argparse.Namespace(target=["rotated.txt=signed after four roots\n"]))


def cmd_hashed_bins(repo: Repo, args) -> None:
    """Targets delegates to 16 hash bins ("00-0f" ... "f0-ff", path_hash_prefixes of two
    hex digits, one bin key (--bin-key) shared by all bins, as python-tuf's hashed bin example
    does); every --target NAME=TEXT goes into the bin of sha256(NAME)."""
    targets = repo.load("targets")
    targets.signed.version += 1
    bin_key = repo.new_key(args.bin_key)
    targets.signed.delegations = Delegations(keys={}, roles={})
    bins = {}
    for first in range(16):
        low, high = first * 16, first * 16 + 15
        name = f"{low:02x}-{high:02x}"
        prefixes = [f"{p:02x}" for p in range(low, high + 1)]
        role = DelegatedRole(name, [], 1, False, path_hash_prefixes=prefixes)
        targets.signed.delegations.roles[name] = role
        targets.signed.add_key(bin_key.public_key, name)
        bins[name] = Metadata(Targets(expires=in_days(90)))
    for spec in args.target:
        path, _, text = spec.partition("=")
        prefix = hashlib.sha256(path.encode()).hexdigest()[:2]
        name = next(n for n, r in targets.signed.delegations.roles.items()
                    if prefix in r.path_hash_prefixes)
        repo.add_target(bins[name], path, text.encode())
    for name, md in bins.items():
        repo.sign_delegated(targets, md, name)
    repo.sign_targets(targets)
    repo.snapshot_and_timestamp({name: 1 for name in bins})


def cmd_terminating(repo: Repo, args) -> None:
    """Targets delegates "a/*" to role "team-a" (terminating) and then "*/*" to role "anyone"
    (TUF path patterns match per "/" component)."""
    # team-a lists a/ok.txt; anyone lists a/sneaky.txt and b/ok.txt. A client must find
    # b/ok.txt in anyone but never a/sneaky.txt: the search for a/ ends at team-a.
    targets = repo.load("targets")
    targets.signed.version += 1
    team_key, anyone_key = repo.new_key("ecdsa"), repo.new_key("ed25519")
    targets.signed.delegations = Delegations(keys={}, roles={})
    for name, paths, terminating, key in [
        ("team-a", ["a/*"], True, team_key),
        ("anyone", ["*/*"], False, anyone_key),
    ]:
        targets.signed.delegations.roles[name] = DelegatedRole(name, [], 1, terminating, paths)
        targets.signed.add_key(key.public_key, name)
    team = Metadata(Targets(expires=in_days(90)))
    repo.add_target(team, "a/ok.txt", b"from team-a\n")
    anyone = Metadata(Targets(expires=in_days(90)))
    repo.add_target(anyone, "a/sneaky.txt", b"from anyone, under a/\n")
    repo.add_target(anyone, "b/ok.txt", b"from anyone\n")
    repo.sign_delegated(targets, team, "team-a")
    repo.sign_delegated(targets, anyone, "anyone")
    repo.sign_targets(targets)
    repo.snapshot_and_timestamp({"team-a": 1, "anyone": 1})


def cmd_import_targets(repo: Repo, args) -> None:
    """A new targets version that lists exactly the targets of another repository's web root
    (SOURCE/metadata/targets.json: length, hashes and custom data unchanged, e.g. the
    SwiftOS package index a publisher wrote) and serves their files (SOURCE/targets/PATH);
    then a new snapshot and timestamp. The other repository's signatures are not used."""
    source = Path(args.source)
    other = Metadata.from_file(str(source / "metadata" / "targets.json"))
    targets = repo.load("targets")
    targets.signed.version += 1
    targets.signed.expires = in_days(90)
    targets.signed.targets = {}
    for path, info in other.signed.targets.items():
        data = (source / "targets" / path).read_bytes()
        info.verify_length_and_hashes(data)
        targets.signed.targets[path] = info
        repo.put_target_file(info, data)
    repo.sign_targets(targets)
    repo.snapshot_and_timestamp()


def cmd_attack(repo: Repo, args) -> None:
    """Serve what an attacker would, made from the repository's own keys and history."""
    consistent = repo.consistent()
    root = repo.load("root")
    ts = repo.load("timestamp").signed.version
    sn = repo.load("snapshot").signed.version
    tg = repo.load("targets").signed.version
    kind = args.kind
    if kind == "timestamp-rollback":
        # Replay timestamp version 1, validly signed long ago.
        repo.serve("timestamp.json", (repo.work / "timestamp.1.json").read_bytes())
    elif kind == "snapshot-rollback":
        # A new, validly signed timestamp pinning snapshot version 1, which is served again.
        repo.serve(repo.served_name("snapshot", 1, consistent),
                   (repo.work / "snapshot.1.json").read_bytes())
        repo.timestamp(snapshot_version=1)
    elif kind == "targets-rollback":
        # A new snapshot (and timestamp) listing targets version 1, which is served again.
        repo.snapshot_and_timestamp(meta_versions={"targets": 1})
        repo.serve(repo.served_name("targets", 1, consistent),
                   (repo.work / "targets.1.json").read_bytes())
    elif kind == "root-rollback":
        # The next root the client asks for is the old version 1, replayed.
        next_version = root.signed.version + 1
        repo.serve(f"{next_version}.root.json", (repo.work / "root.1.json").read_bytes())
    elif kind == "freeze":
        # A new timestamp, validly signed, that expired yesterday.
        repo.timestamp(sn, expires=in_days(-1))
    elif kind == "mix-and-match":
        # A new snapshot lists targets version N+1, but the client is served version N.
        repo.snapshot_and_timestamp(meta_versions={"targets": tg + 1})
        repo.serve(repo.served_name("targets", tg + 1, consistent),
                   (repo.work / f"targets.{tg}.json").read_bytes())
    elif kind == "root-threshold":
        # Root N+1 signed by only one of the root keys although the threshold is higher.
        new = repo.load("root")
        new.signed.version += 1
        repo.write(new, "root", repo.role_signers(root, "root")[:1])
    elif kind == "removed-root-key":
        # Root N+1 signed only by the first root key of version 1 (removed since).
        first = repo.load("root", 1)
        new = repo.load("root")
        new.signed.version += 1
        new.signed.add_key(first.signed.get_key(first.signed.roles["root"].keyids[0]), "root")
        repo.write(new, "root", repo.role_signers(first, "root")[:1])
    elif kind in ("target-length", "target-hash"):
        # The file behind a listed target changes: longer, or same length, other bytes.
        path = args.target
        info = repo.load("targets").signed.targets[path]
        names = info.get_prefixed_paths() if consistent else [path]
        for name in names:
            f = repo.targets / name
            data = f.read_bytes()
            if kind == "target-length":
                data += b"!"
            else:
                data = bytes([data[0] ^ 1]) + data[1:]
            f.write_bytes(data)
    else:
        sys.exit(f"unknown attack {kind}")
    print(f"attack {kind}: timestamp {ts}, snapshot {sn}, targets {tg} before")


def summary(command) -> str:
    """The first paragraph of a command's docstring, on one line (for --help)."""
    return " ".join(command.__doc__.split("\n\n")[0].split())


def main() -> None:
    """Parse the command line and run one command on the repository directory."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir", help="the repository directory (see the module docstring)")
    sub = p.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help=summary(cmd_new))
    new.add_argument("--keys", choices=["ed25519", "ecdsa", "rsa", "mixed"], required=True)
    new.add_argument("--consistent-snapshot", action="store_true")
    new.add_argument("--root-keys", type=int, default=1)
    new.add_argument("--root-threshold", type=int, default=1)
    pub = sub.add_parser("publish", help=summary(cmd_publish))
    pub.add_argument("--target", action="append", default=[], metavar="NAME=TEXT")
    sub.add_parser("new-root", help=summary(cmd_new_root))
    sub.add_parser("rotations", help=summary(cmd_rotations))
    bins = sub.add_parser("hashed-bins", help=summary(cmd_hashed_bins))
    bins.add_argument("--bin-key", choices=["ed25519", "ecdsa", "rsa"], default="ecdsa")
    bins.add_argument("--target", action="append", default=[], metavar="NAME=TEXT")
    sub.add_parser("terminating", help=summary(cmd_terminating))
    imp = sub.add_parser("import-targets", help=summary(cmd_import_targets))
    imp.add_argument("source", help="another repository's web root")
    attack = sub.add_parser("attack", help=summary(cmd_attack))
    attack.add_argument("kind", choices=[
        "timestamp-rollback", "snapshot-rollback", "targets-rollback", "root-rollback",
        "freeze", "mix-and-match", "root-threshold", "removed-root-key",
        "target-length", "target-hash",
    ])
    attack.add_argument("--target", default="hello.txt", help="for target-length/target-hash")
    args = p.parse_args()
    repo = Repo(args.dir)
    {
        "new": cmd_new,
        "publish": cmd_publish,
        "new-root": cmd_new_root,
        "rotations": cmd_rotations,
        "hashed-bins": cmd_hashed_bins,
        "terminating": cmd_terminating,
        "import-targets": cmd_import_targets,
        "attack": cmd_attack,
    }[args.command](repo, args)


if __name__ == "__main__":
    main()
