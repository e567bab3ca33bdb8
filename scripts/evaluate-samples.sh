#!/usr/bin/env bash
# Evaluates the project's sample documents through the HTTP API of the running stack:
# uploads a CV and a project report, requests an evaluation, polls the result until it
# is completed or failed, and prints the last result JSON on stdout.
#   evaluate-samples.sh [CV_FILE PROJECT_FILE]
# Without arguments it takes samples/cv.* and samples/project-report.* (PDF, DOCX, text
# or Markdown). EVALUATE_TIMEOUT_S (default 300) bounds the polling. Exit status: 0
# completed, 1 failed or timed out.
source "$(dirname "$0")/lib.sh"

PYTHON=/usr/bin/python3

# Prints the first file of the samples folder matching pattern $1.
find_sample() {
    local file
    for file in "$ROOT"/samples/$1; do
        if [ -f "$file" ]; then
            printf '%s\n' "$file"
            return 0
        fi
    done
    return 1
}

# Prints member $1 of the JSON object on stdin, or nothing when it is absent.
json_get() {
    "$PYTHON" -c 'import json, sys
value = json.load(sys.stdin).get(sys.argv[1])
print("" if value is None else value)' "$1" 2>/dev/null
}

# Sends a request with curl. The response body goes to file $1 and the status to stdout.
request() {
    local out=$1
    shift
    curl -s -o "$out" -w '%{http_code}' --max-time 120 "$@" || printf '000'
}

main() {
    local cv project base status cv_id project_id job_id deadline state
    local timeout_s=${EVALUATE_TIMEOUT_S:-300}

    [ -f "$STATE" ] || die "no stack state in $VAR_DIR; run make run (or scripts/stack.sh start) first"
    if [ $# -eq 2 ]; then
        cv=$1
        project=$2
    else
        cv=$(find_sample 'cv.*') || die "no samples/cv.* to evaluate"
        project=$(find_sample 'project-report.*') || project=$(find_sample 'project*') \
            || die "no samples/project-report.* to evaluate"
    fi
    base=http://$(state_get HTTP_ADDR 127.0.0.1):$(state_get HTTP_PORT 8080)
    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT

    say "uploading $(basename "$cv") and $(basename "$project") to $base/v1/upload"
    status=$(request "$TMP/upload.json" -F "cv=@$cv" -F "project=@$project" "$base/v1/upload")
    [ "$status" = 200 ] || die "upload returned $status: $(cat "$TMP/upload.json" 2>/dev/null)"
    cv_id=$(json_get cv_id < "$TMP/upload.json")
    project_id=$(json_get project_id < "$TMP/upload.json")
    [ -n "$cv_id" ] && [ -n "$project_id" ] || die "upload returned no ids: $(cat "$TMP/upload.json")"

    status=$(request "$TMP/evaluate.json" -H 'Content-Type: application/json' \
        --data "{\"cv_id\":\"$cv_id\",\"project_id\":\"$project_id\"}" "$base/v1/evaluate")
    case $status in
        200 | 202) ;;
        *) die "evaluate returned $status: $(cat "$TMP/evaluate.json" 2>/dev/null)" ;;
    esac
    job_id=$(json_get id < "$TMP/evaluate.json")
    [ -n "$job_id" ] || die "evaluate returned no job id: $(cat "$TMP/evaluate.json")"
    say "job $job_id queued; polling $base/v1/result/$job_id for up to ${timeout_s}s"

    deadline=$(($(date +%s) + timeout_s))
    state=
    while [ "$(date +%s)" -lt "$deadline" ]; do
        status=$(request "$TMP/result.json" "$base/v1/result/$job_id")
        [ "$status" = 200 ] || die "result returned $status: $(cat "$TMP/result.json" 2>/dev/null)"
        state=$(json_get status < "$TMP/result.json")
        case $state in
            completed | failed) break ;;
        esac
        sleep 1
    done

    "$PYTHON" -m json.tool < "$TMP/result.json" || cat "$TMP/result.json"
    case $state in
        completed) return 0 ;;
        failed) say "the evaluation failed (see the error member above)"; return 1 ;;
        *) say "the job is still $state after ${timeout_s}s"; return 1 ;;
    esac
}

main "$@"
