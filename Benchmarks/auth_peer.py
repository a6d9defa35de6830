#!/usr/bin/env python3
"""The Python side of AuthBench: PyJWT HS256 verification and hashlib's PBKDF2 (OpenSSL underneath).

    python3 Benchmarks/auth_peer.py TOKEN SECRET_HEX ISSUER

Prints one JSON object: verifications per second on one thread and milliseconds per PBKDF2-HMAC-SHA256
of 600,000 iterations.
"""
import hashlib
import json
import sys
import time

import jwt


def main():
    token, secret, issuer = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3]
    jwt.decode(token, secret, algorithms=["HS256"], issuer=issuer, options={"verify_aud": False})
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < 2.0:
        for _ in range(1000):
            jwt.decode(token, secret, algorithms=["HS256"], issuer=issuer, options={"verify_aud": False})
        count += 1000
    per_second = count / (time.perf_counter() - start)
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        hashlib.pbkdf2_hmac("sha256", b"Corr3ct-horse", b"0123456789abcdef", 600_000)
        runs.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"pyjwt_verifications_per_second": per_second, "pbkdf2_600k_ms": sorted(runs)[1],
                      "pyjwt": jwt.__version__}))


if __name__ == "__main__":
    main()
