/* Score helpers shared by the CV and project scoring. */
#include "worker/scorer/score.h"

int
wk_score_from_count(int count)
{
    if (count <= 0) {
        return 1;
    }
    if (count == 1) {
        return 2;
    }
    if (count <= 3) {
        return 3;
    }
    return count <= 5 ? 4 : 5;
}

int
wk_score_from_percent(int percent, const int low[4])
{
    int score = 1;
    int i;

    for (i = 0; i < 4; i++) {
        if (percent >= low[i]) {
            score = i + 2;
        }
    }
    return score;
}

enum cv_err
wk_score_set(struct wk_param_score *param, int score, struct cv_buf *buf, enum cv_err rc)
{
    if (rc != CV_OK) {
        cv_buf_cleanup(buf);
        return rc;
    }
    param->score = score;
    param->reason = cv_buf_take(buf);
    return param->reason != NULL ? CV_OK : CV_ENOMEM;
}

