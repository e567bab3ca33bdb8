/* GET /metrics: Prometheus text summed over the responders that share the metrics file. */
#include "fcgi/handlers.h"
#include "fcgi/respond.h"

void
api_handle_metrics(struct api_request *req)
{
    struct cv_metrics_totals totals;

    cv_metrics_sum(req->srv->metrics, &totals);
    if (cv_metrics_format(&totals, &req->res.body) != CV_OK) {
        api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL,
                          "could not format the metrics: out of memory");
        return;
    }
    req->res.status = 200;
    req->res.content_type = "text/plain; version=0.0.4; charset=utf-8";
}
