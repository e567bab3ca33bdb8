-- Request ids for lighttpd, which has none of its own (nginx has $request_id).
-- mod_magnet runs this file twice per request. When the request arrives, the file makes
-- up an id of 32 hexadecimal digits and stores it in REQUEST_ID, a variable that
-- mod_fastcgi passes to cv-api. When the response starts, it sets X-Request-Id to that
-- id, also on the responses that lighttpd makes itself (413, 404, 5xx).
-- math.random is seeded once per lighttpd process (Lua 5.4 seeds it at start); the ids
-- only need to be unique, not unguessable.
local r = lighty.r
local id = r.req_env["REQUEST_ID"]
if id == nil or id == "" then
    id = string.format("%08x%08x%08x%08x",
        math.random(0, 0xffffffff), math.random(0, 0xffffffff),
        math.random(0, 0xffffffff), math.random(0, 0xffffffff))
    r.req_env["REQUEST_ID"] = id
end
r.resp_header["X-Request-Id"] = id
return 0
