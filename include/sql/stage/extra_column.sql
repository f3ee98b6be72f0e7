-- One column the file carried beyond the template, as a text column of the raw staging table (joined into create_raw.sql).
-- reads: nothing; writes: nothing.
, {column} text
