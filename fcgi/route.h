/*
 * The method and path table of the API. Matching is pure string work on the decoded
 * path: main.c maps each route id to its handler, so this table can be tested alone.
 */
#ifndef API_ROUTE_H
#define API_ROUTE_H

#include <stddef.h>

#include "common/metrics.h"

enum api_route_id {
    API_ROUTE_UPLOAD = 0,
    API_ROUTE_EVALUATE,
    API_ROUTE_RESULT,
    API_ROUTE_HEALTHZ,
    API_ROUTE_READYZ,
    API_ROUTE_METRICS,
    API_ROUTE_COUNT
};

/* Method bits of struct api_route.methods. */
#define API_METHOD_GET  0x1u
#define API_METHOD_HEAD 0x2u
#define API_METHOD_POST 0x4u

struct api_route {
    const char            *pattern;  /* exact path, or a prefix ending in "{id}" */
    enum api_route_id      id;
    unsigned               methods;  /* API_METHOD_* bits */
    const char            *allow;    /* value of the Allow header of a 405 */
    const char            *name;     /* versioned pattern, the same for an alias; for logs */
    enum cv_metrics_route  metrics_route;
};

/*
 * Finds the route whose pattern matches path exactly, where "{id}" matches one
 * non-empty segment without '/'. For such a route, *param and *param_len give the
 * segment inside path; otherwise *param is NULL. Returns NULL when nothing matches.
 */
const struct api_route *api_route_find(const char *path, const char **param,
                                       size_t *param_len);

/* Returns the API_METHOD_* bit of a request method (case-sensitive), 0 for any other. */
unsigned api_route_method_bit(const char *method);

/* Returns 1 when route accepts method, else 0. */
int api_route_allows(const struct api_route *route, const char *method);

#endif
