/* Identifiers: UUID syntax checks and request ids. */
#ifndef CV_ID_H
#define CV_ID_H

#include <stddef.h>

/* Length of a UUID in text form plus its NUL. */
#define CV_UUID_LEN 37
/* Length of a request id (32 hex digits, like nginx's $request_id) plus its NUL. */
#define CV_REQUEST_ID_LEN 33

/* Returns 1 when text is a UUID in 8-4-4-4-12 hex form (either case), else 0. */
int cv_id_is_uuid(const char *text);

/* Returns 1 when text is 1..64 characters of [A-Za-z0-9._-], safe to log and echo. */
int cv_id_is_request_id(const char *text);

/* Writes 32 random hex digits into out. Uses getrandom(2); never blocks after boot. */
void cv_id_new_request_id(char out[CV_REQUEST_ID_LEN]);

#endif
