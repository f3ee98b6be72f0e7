-- The warehouse server's version, as a number (180001) and as it names itself ('18.1'), for the check that
-- comes before any migration (bansos.warehouse.server.require_version). reads: the server's settings;
-- writes: nothing.
SELECT current_setting('server_version_num')::integer, current_setting('server_version');
