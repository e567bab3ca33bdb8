/* Names of the error codes, for logs. */
#include "common/err.h"

static const char *const err_names[] = {
    [CV_OK] = "CV_OK",
    [CV_ENOMEM] = "CV_ENOMEM",
    [CV_EINVAL] = "CV_EINVAL",
    [CV_ENOTFOUND] = "CV_ENOTFOUND",
    [CV_ETIMEOUT] = "CV_ETIMEOUT",
    [CV_EUNAVAIL] = "CV_EUNAVAIL",
    [CV_EUPSTREAM] = "CV_EUPSTREAM",
    [CV_EINTERNAL] = "CV_EINTERNAL",
    [CV_ETOOLARGE] = "CV_ETOOLARGE",
    [CV_EMEDIA] = "CV_EMEDIA",
    [CV_EUNREADABLE] = "CV_EUNREADABLE",
    [CV_ECONFLICT] = "CV_ECONFLICT",
};

const char *
cv_strerror(enum cv_err rc)
{
    if ((unsigned)rc >= sizeof(err_names) / sizeof(err_names[0]) || err_names[rc] == 0) {
        return "CV_EUNKNOWN";
    }
    return err_names[rc];
}
