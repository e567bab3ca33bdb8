/*
 * Error codes shared by every binary. A function returns one of these; the text of a
 * failure stays on the object that failed (connection, parser) or in a caller buffer.
 * HTTP statuses and job outcomes are mapped from these codes in one place each.
 */
#ifndef CV_ERR_H
#define CV_ERR_H

enum cv_err {
    CV_OK = 0,       /* success */
    CV_ENOMEM,       /* an allocation or a bounded buffer's maximum was hit */
    CV_EINVAL,       /* the caller's input is malformed */
    CV_ENOTFOUND,    /* the named object does not exist */
    CV_ETIMEOUT,     /* a deadline passed before the operation finished */
    CV_EUNAVAIL,     /* a dependency is down or busy: retry later */
    CV_EUPSTREAM,    /* a peer rejected the request and a retry will not help */
    CV_EINTERNAL,    /* a bug or an impossible state */
    CV_ETOOLARGE,    /* the input exceeds a configured size, page or entry limit */
    CV_EMEDIA,       /* the input is of a media type the service does not accept */
    CV_EUNREADABLE,  /* the document is well-formed enough to open but yields no text */
    CV_ECONFLICT     /* the request contradicts stored state (idempotency key reuse) */
};

/* Returns the enum name ("CV_ETIMEOUT") of rc, for log lines; never NULL. */
const char *cv_strerror(enum cv_err rc);

#endif
