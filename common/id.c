/* UUID checks and random request ids. */
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/id.h"

static int
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int
cv_id_is_uuid(const char *text)
{
    size_t i;

    for (i = 0; i < 36; i++) {
        if (text[i] == '\0') {
            return 0;
        }
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-') {
                return 0;
            }
        } else if (!is_hex(text[i])) {
            return 0;
        }
    }
    return text[36] == '\0';
}

int
cv_id_is_request_id(const char *text)
{
    size_t i;

    for (i = 0; text[i] != '\0'; i++) {
        if (i == 64) {
            return 0;
        }
        if (!((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z') ||
              (text[i] >= '0' && text[i] <= '9') || text[i] == '.' || text[i] == '_' ||
              text[i] == '-')) {
            return 0;
        }
    }
    return i > 0;
}

void
cv_id_new_request_id(char out[CV_REQUEST_ID_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char     bytes[16];
    ssize_t           got;
    uint64_t          fallback;
    size_t            i;

    got = getrandom(bytes, sizeof(bytes), GRND_NONBLOCK);
    if (got != (ssize_t)sizeof(bytes)) {
        /* Only before the kernel's pool is ready: ids need to be unique, not secret. */
        fallback = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)clock();
        for (i = 0; i < sizeof(bytes); i++) {
            fallback = fallback * 6364136223846793005ULL + 1442695040888963407ULL;
            bytes[i] = (unsigned char)(fallback >> 56);
        }
    }
    for (i = 0; i < sizeof(bytes); i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 0xf];
    }
    out[32] = '\0';
}
