/* SHA-256 through OpenSSL EVP; the one-shot EVP_Digest is thread-safe. */
#include <openssl/evp.h>

#include "common/sha256.h"

enum cv_err
cv_sha256_hex(const void *data, size_t len, char out[CV_SHA256_HEX_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char     digest[EVP_MAX_MD_SIZE];
    unsigned int      digest_len = 0;
    unsigned int      i;

    if (EVP_Digest(data, len, digest, &digest_len, EVP_sha256(), NULL) != 1 ||
        digest_len != 32) {
        out[0] = '\0';
        return CV_ENOMEM;
    }
    for (i = 0; i < digest_len; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xf];
    }
    out[64] = '\0';
    return CV_OK;
}
