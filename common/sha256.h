/* SHA-256 digests as lower-case hex, over OpenSSL's EVP interface. */
#ifndef CV_SHA256_H
#define CV_SHA256_H

#include <stddef.h>

#include "common/err.h"

/* Length of a hex digest plus its NUL. */
#define CV_SHA256_HEX_LEN 65

/* Writes the hex SHA-256 of len bytes of data into out. Returns CV_ENOMEM if OpenSSL fails. */
enum cv_err cv_sha256_hex(const void *data, size_t len, char out[CV_SHA256_HEX_LEN]);

#endif
