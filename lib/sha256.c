/* SPDX-License-Identifier: MIT */
/* SHA-256 digests in hex, via libcrypto's EVP interface. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <pthread.h>

#include <openssl/evp.h>

#include "sha256.h"

struct dss_sha256 {
	EVP_MD_CTX *ctx;
};

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
/*
 * OpenSSL 3 looks EVP_sha256() up in its providers on every use, which
 * costs more than hashing a short key: fetch it once for the process.
 */
static EVP_MD *fetched;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void
fetch(void)
{
	fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
sha256_md(void)
{
	pthread_once(&fetch_once, fetch);
	return fetched != NULL ? fetched : EVP_sha256();
}
#else
static const EVP_MD *
sha256_md(void)
{
	return EVP_sha256();
}
#endif

static void
tohex(const unsigned char *md, char out[DSS_SHA256_HEX])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void
dss_sha256(const void *data, size_t len, unsigned char out[DSS_SHA256_LEN])
{
	unsigned int n = 0;

	EVP_Digest(data, len, out, &n, sha256_md(), NULL);
}

void
dss_sha256_hex(const void *data, size_t len, char out[DSS_SHA256_HEX])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, sha256_md(), NULL);
	tohex(md, out);
}

struct dss_sha256 *
dss_sha256_new(void)
{
	struct dss_sha256 *s = malloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	if ((s->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->ctx, sha256_md(), NULL) != 1) {
		EVP_MD_CTX_free(s->ctx);
		free(s);
		return NULL;
	}
	return s;
}

void
dss_sha256_update(struct dss_sha256 *s, const void *data, size_t len)
{
	EVP_DigestUpdate(s->ctx, data, len);
}

void
dss_sha256_final(struct dss_sha256 *s, char out[DSS_SHA256_HEX])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_DigestFinal_ex(s->ctx, md, &n);
	tohex(md, out);
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

void
dss_sha256_again(struct dss_sha256 *s, const void *data, size_t len,
    unsigned char out[DSS_SHA256_LEN])
{
	unsigned int n = 0;

	EVP_DigestInit_ex(s->ctx, NULL, NULL);
	EVP_DigestUpdate(s->ctx, data, len);
	EVP_DigestFinal_ex(s->ctx, out, &n);
}

void
dss_sha256_free(struct dss_sha256 *s)
{
	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

int
dss_sha256_file(const char *path, char out[DSS_SHA256_HEX], struct dss_err *err)
{
	struct dss_sha256 *s;
	char buf[65536];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		return dss_err_errno(err, errno, "cannot open '%s'", path);
	if ((s = dss_sha256_new()) == NULL) {
		fclose(fp);
		return dss_err_set(err, "out of memory");
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		dss_sha256_update(s, buf, n);
	dss_sha256_final(s, out);
	if (ferror(fp)) {
		int e = errno;

		fclose(fp);
		return dss_err_errno(err, e, "cannot read '%s'", path);
	}
	fclose(fp);
	return 0;
}
