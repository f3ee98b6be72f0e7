-- Streams the received file into the raw staging table; PostgreSQL parses the CSV and converts the encoding.
-- reads: the file on STDIN; writes: staging.submission_<id>_raw.
COPY {raw} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER {delimiter}, ENCODING {encoding});
