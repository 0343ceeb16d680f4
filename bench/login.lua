-- wrk script: POST /api/v1/auth/login with the benchmark account's password.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"demo.officer.one","password":"a long and private passphrase"}'
