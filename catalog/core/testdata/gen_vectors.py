#!/usr/bin/env python3
"""Generate the non-Rust signature test vectors of catalog-core's key tests (run once; the
output, keys.json, is committed). Needs the `cryptography` package. Every signature is made by
OpenSSL through pyca/cryptography exactly as securesystemslib's CryptoSigner makes it: ed25519
over the message, ECDSA P-256 with SHA-256 as a DER signature, RSA-PSS with SHA-256, MGF1-SHA256
and salt length = digest length (plus one RSA signature with the maximum salt length, as
signers that pick "auto" write it).

A root metadata file signed by one key of each scheme (threshold 3) is included, its canonical
form computed like securesystemslib's encode_canonical."""
import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

MESSAGE = b'{"_type":"test","note":"signed by a non-Rust signer"}'


def pem(pub):
    return pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def compressed_spki_pem(pub):
    """The SubjectPublicKeyInfo of a P-256 key with its point compressed (the same key)."""
    point = pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    prefix = bytes.fromhex("3039301306072a8648ce3d020106082a8648ce3d030107032200")
    b64 = base64.b64encode(prefix + point).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def canonical(obj):
    """OLPC canonical JSON as securesystemslib's encode_canonical writes it: only `"` and `\\`
    are escaped in strings (the newlines of PEM keys stay raw bytes)."""
    if isinstance(obj, bool):
        return b"true" if obj else b"false"
    if isinstance(obj, int):
        return str(obj).encode()
    if isinstance(obj, str):
        return b'"' + obj.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'
    if isinstance(obj, list):
        return b"[" + b",".join(canonical(x) for x in obj) + b"]"
    items = sorted(obj.items())
    return b"{" + b",".join(canonical(k) + b":" + canonical(v) for k, v in items) + b"}"


def keyid(key):
    return hashlib.sha256(canonical(key)).hexdigest()


def pss(salt):
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)


def main():
    ed = ed25519.Ed25519PrivateKey.generate()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec384 = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ed_pub = ed.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    ).hex()
    keys = {
        "ed25519": {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": ed_pub}},
        "ecdsa": {
            "keytype": "ecdsa",
            "scheme": "ecdsa-sha2-nistp256",
            "keyval": {"public": pem(ec_key.public_key())},
        },
        "rsa": {
            "keytype": "rsa",
            "scheme": "rsassa-pss-sha256",
            "keyval": {"public": pem(rsa_key.public_key())},
        },
    }
    out = {
        "message": MESSAGE.decode(),
        "keys": keys,
        "ecdsa_p384_public": pem(ec384.public_key()),
        "ecdsa_compressed_public": compressed_spki_pem(ec_key.public_key()),
        "rsa_1024_public": pem(rsa_small.public_key()),
        "signatures": {
            "ed25519": ed.sign(MESSAGE).hex(),
            "ecdsa": ec_key.sign(MESSAGE, ec.ECDSA(hashes.SHA256())).hex(),
            "rsa": rsa_key.sign(MESSAGE, pss(padding.PSS.DIGEST_LENGTH), hashes.SHA256()).hex(),
            "rsa_max_salt": rsa_key.sign(MESSAGE, pss(padding.PSS.MAX_LENGTH), hashes.SHA256()).hex(),
        },
    }
    ids = {name: keyid(k) for name, k in keys.items()}
    signed = {
        "_type": "root",
        "spec_version": "1.0.31",
        "consistent_snapshot": True,
        "version": 1,
        "expires": "2100-01-01T00:00:00Z",
        "keys": {ids[n]: k for n, k in keys.items()},
        "roles": {
            r: {"keyids": sorted(ids.values()), "threshold": 3}
            for r in ["root", "timestamp", "snapshot", "targets"]
        },
    }
    data = canonical(signed)
    sigs = [
        {"keyid": ids["ed25519"], "sig": ed.sign(data).hex()},
        {"keyid": ids["ecdsa"], "sig": ec_key.sign(data, ec.ECDSA(hashes.SHA256())).hex()},
        {"keyid": ids["rsa"], "sig": rsa_key.sign(data, pss(padding.PSS.DIGEST_LENGTH), hashes.SHA256()).hex()},
    ]
    out["root"] = {"signatures": sigs, "signed": signed}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
