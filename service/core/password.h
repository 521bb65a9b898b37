/* Password hashing with scrypt (OpenSSL); parameters are stored with the hash. */
#ifndef EXAMD_CORE_PASSWORD_H
#define EXAMD_CORE_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

#define PASSWORD_HASH_MAX 160
#define PASSWORD_MIN_LEN 8
#define PASSWORD_MAX_LEN 256

/* Hashes pw with cost 2^log2n, r=8, p=1 and a fresh 16-byte salt into out:
 * "$scrypt$ln=14,r=8,p=1$<salt>$<hash>" (base64url). */
bool password_hash(const char *pw, int log2n, char *out, size_t outlen) MUST_CHECK;

enum password_result { PASSWORD_MATCH, PASSWORD_MISMATCH, PASSWORD_MALFORMED };
enum password_result password_verify(const char *pw, const char *stored);

/* A policy check for new passwords; returns NULL when acceptable, else why not. */
const char *password_policy_error(const char *pw);

#endif
