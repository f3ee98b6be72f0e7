-- Whether a kept session is still served before it is handed out again (the server may have restarted or
-- ended it while it waited). reads: nothing; writes: nothing.
SELECT 1
