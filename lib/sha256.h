/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 through OpenSSL's libcrypto: one-shot over memory, incremental
 * for streams, and over a whole file.  Digests are given as 64 lowercase
 * hex characters plus a NUL.
 */
#ifndef DSS_SHA256_H
#define DSS_SHA256_H

#include <stddef.h>

#include "err.h"

#define DSS_SHA256_HEX 65
#define DSS_SHA256_LEN 32

/* The raw digest of data: DSS_SHA256_LEN bytes into out. */
void dss_sha256(const void *data, size_t len, unsigned char out[DSS_SHA256_LEN]);

struct dss_sha256;	/* opaque incremental state */

void dss_sha256_hex(const void *data, size_t len, char out[DSS_SHA256_HEX]);
/* Returns a new state (caller finishes it with dss_sha256_final), or NULL. */
struct dss_sha256 *dss_sha256_new(void);
void dss_sha256_update(struct dss_sha256 *s, const void *data, size_t len);
/* Writes the hex digest and frees s. */
void dss_sha256_final(struct dss_sha256 *s, char out[DSS_SHA256_HEX]);
/*
 * The raw digest of data, made with the state s (from dss_sha256_new,
 * and not updated), which stays for the next: for many short strings it
 * spares the allocations dss_sha256 makes for each.  dss_sha256_free
 * frees s.
 */
void dss_sha256_again(struct dss_sha256 *s, const void *data, size_t len,
    unsigned char out[DSS_SHA256_LEN]);
void dss_sha256_free(struct dss_sha256 *s);
/* Hashes the file at path.  Returns -1 with err naming the file. */
int dss_sha256_file(const char *path, char out[DSS_SHA256_HEX],
    struct dss_err *err);

#endif
