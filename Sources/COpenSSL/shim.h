#ifndef CLEARSKY_COPENSSL_SHIM_H
#define CLEARSKY_COPENSSL_SHIM_H

// libcrypto only: HMAC, PBKDF2, RAND_bytes and CRYPTO_memcmp.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#endif
