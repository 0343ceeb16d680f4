-- wrk script: GET one record as its editor (cookie from the environment).
wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("SR_COOKIE")
