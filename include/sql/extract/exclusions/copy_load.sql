-- Streams an archived registry file into the transaction's load table; PostgreSQL parses the CSV.
-- reads: the file on STDIN; writes: pg_temp.exclusion_load.
COPY pg_temp.exclusion_load ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER {delimiter}, ENCODING 'UTF8');
