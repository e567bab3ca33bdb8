/* The route table: the versioned paths and the unversioned aliases of the first API. */
#include <string.h>

#include "fcgi/route.h"

#define GET_HEAD (API_METHOD_GET | API_METHOD_HEAD)

static const struct api_route routes[] = {
    {"/v1/upload", API_ROUTE_UPLOAD, API_METHOD_POST, "POST", "/v1/upload",
     CV_METRICS_ROUTE_UPLOAD},
    {"/upload", API_ROUTE_UPLOAD, API_METHOD_POST, "POST", "/v1/upload",
     CV_METRICS_ROUTE_UPLOAD},
    {"/v1/evaluate", API_ROUTE_EVALUATE, API_METHOD_POST, "POST", "/v1/evaluate",
     CV_METRICS_ROUTE_EVALUATE},
    {"/evaluate", API_ROUTE_EVALUATE, API_METHOD_POST, "POST", "/v1/evaluate",
     CV_METRICS_ROUTE_EVALUATE},
    {"/v1/result/{id}", API_ROUTE_RESULT, GET_HEAD, "GET, HEAD", "/v1/result/{id}",
     CV_METRICS_ROUTE_RESULT},
    {"/result/{id}", API_ROUTE_RESULT, GET_HEAD, "GET, HEAD", "/v1/result/{id}",
     CV_METRICS_ROUTE_RESULT},
    {"/healthz", API_ROUTE_HEALTHZ, GET_HEAD, "GET, HEAD", "/healthz",
     CV_METRICS_ROUTE_HEALTHZ},
    {"/readyz", API_ROUTE_READYZ, GET_HEAD, "GET, HEAD", "/readyz", CV_METRICS_ROUTE_READYZ},
    {"/metrics", API_ROUTE_METRICS, API_METHOD_GET, "GET", "/metrics",
     CV_METRICS_ROUTE_METRICS},
};

#define ID_SEGMENT "{id}"

const struct api_route *
api_route_find(const char *path, const char **param, size_t *param_len)
{
    const char *pattern;
    const char *segment;
    size_t      prefix_len;
    size_t      i;

    *param = NULL;
    *param_len = 0;
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        pattern = routes[i].pattern;
        prefix_len = strlen(pattern);
        if (prefix_len > strlen(ID_SEGMENT) &&
            strcmp(pattern + prefix_len - strlen(ID_SEGMENT), ID_SEGMENT) == 0) {
            prefix_len -= strlen(ID_SEGMENT);
            if (strncmp(path, pattern, prefix_len) != 0) {
                continue;
            }
            segment = path + prefix_len;
            if (segment[0] == '\0' || strchr(segment, '/') != NULL) {
                continue;
            }
            *param = segment;
            *param_len = strlen(segment);
            return &routes[i];
        }
        if (strcmp(path, pattern) == 0) {
            return &routes[i];
        }
    }
    return NULL;
}

unsigned
api_route_method_bit(const char *method)
{
    if (method == NULL) {
        return 0;
    }
    if (strcmp(method, "GET") == 0) {
        return API_METHOD_GET;
    }
    if (strcmp(method, "HEAD") == 0) {
        return API_METHOD_HEAD;
    }
    if (strcmp(method, "POST") == 0) {
        return API_METHOD_POST;
    }
    return 0;
}

int
api_route_allows(const struct api_route *route, const char *method)
{
    return (route->methods & api_route_method_bit(method)) != 0;
}
