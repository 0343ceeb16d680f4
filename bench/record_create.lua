-- wrk script: POST /api/v1/records as the editor (cookie and CSRF token from the environment).
wrk.method = "POST"
wrk.headers["Cookie"] = os.getenv("SR_COOKIE")
wrk.headers["X-CSRF-Token"] = os.getenv("SR_CSRF")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"remit":"bench","title":"Created by the benchmark","classification":"OFFICIAL",' ..
  '"descriptors":[],"body":{"text":"' .. string.rep("y", 1000) .. '"}}'
